"""Bounded reading of policy sources: files, uploads and zip archives.

A real policy file is a few KB and the whole knowledge base well under 1 MB, so every source
is read against fixed caps before YAML sees it: a zip that inflates to gigabytes, a thousand
tiny members or a 17 MB "policy" is refused after reading at most the cap, never trusting the
sizes an archive declares. Errors are Chinese and name the file (shown to admins as is).
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, List, Optional, Tuple

import yaml

MAX_FILE_BYTES = 256 * 1024  # one policy file
MAX_FILES = 500  # files (or zip members) in one import
MAX_TOTAL_BYTES = 8 * 1024 * 1024  # all files of one import, after unzipping
MAX_UPLOAD_BYTES = 4 * 1024 * 1024  # one HTTP upload (the request body)
MAX_DEPTH = 40  # YAML nesting; the deepest real condition tree needs about 15
CHUNK = 64 * 1024
YAML_SUFFIXES = (".yml", ".yaml")


class SourceError(ValueError):
    """A source that cannot be read within the limits; `message` names the file."""

    def __init__(self, name: str, message: str):
        super().__init__(f"{name}：{message}")
        self.name = name
        self.detail = message
        self.message = f"{name}：{message}"


class LimitExceeded(SourceError):
    """The whole import is over a cap: stop reading at once."""


def _kb(size: int) -> str:
    return f"{size // 1024} KB" if size < 1024 * 1024 else f"{size // (1024 * 1024)} MB"


def too_large_message() -> str:
    return f"单个政策文件不能超过 {_kb(MAX_FILE_BYTES)}（正常的政策文件只有几 KB）"


@dataclass
class Budget:
    """What is left of one import's allowance (files and expanded bytes)."""
    files: int = MAX_FILES
    total: int = MAX_TOTAL_BYTES

    def take_file(self, name: str) -> None:
        self.files -= 1
        if self.files < 0:
            raise LimitExceeded(name, f"一次最多导入 {MAX_FILES} 个文件")

    def take_bytes(self, name: str, size: int) -> None:
        self.total -= size
        if self.total < 0:
            raise LimitExceeded(name, f"一次导入的内容合计不能超过 {_kb(MAX_TOTAL_BYTES)}（解压后）")


def read_bounded(stream: BinaryIO, name: str, budget: Budget) -> bytes:
    """Read in chunks and stop as soon as the file or the import is over its cap."""
    parts, size = [], 0
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            return b"".join(parts)
        size += len(chunk)
        if size > MAX_FILE_BYTES:
            raise SourceError(name, too_large_message())
        budget.take_bytes(name, len(chunk))
        parts.append(chunk)


def decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(name, f"文件不是 UTF-8 编码（第 {exc.start + 1} 个字节无法识别），请另存为 UTF-8 后重试") from None


def read_file(path: Path, budget: Budget) -> str:
    """A policy file from disk (a FIFO or /dev/zero is cut at the cap like any file)."""
    budget.take_file(str(path))
    try:
        with open(path, "rb") as stream:
            return decode(read_bounded(stream, str(path), budget), str(path))
    except OSError as exc:
        raise SourceError(str(path), f"无法读取文件（{exc.strerror or exc}）") from None


def read_zip(data: bytes, name: str, budget: Budget) -> List[Tuple[str, str]]:
    """(member name, text) of every YAML member of an uploaded zip."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise SourceError(name, f"无法读取压缩包（{exc}）") from None
    out = []
    with archive:
        members = archive.infolist()
        if len(members) > MAX_FILES:  # counted before anything is inflated
            raise LimitExceeded(name, f"压缩包里有 {len(members)} 个文件，一次最多导入 {MAX_FILES} 个")
        for info in members:
            if info.is_dir() or not info.filename.lower().endswith(YAML_SUFFIXES):
                continue
            label = f"{name}/{info.filename}"
            budget.take_file(label)
            try:
                with archive.open(info) as stream:
                    body = read_bounded(stream, label, budget)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError) as exc:
                raise SourceError(label, f"无法解压（{exc}）") from None
            out.append((info.filename, decode(body, label)))
    return out


def read_upload(name: str, body: bytes, budget: Budget) -> List[Tuple[str, str]]:
    """(name, text) pairs of one uploaded file: a YAML file or a zip of them."""
    lower = name.lower()
    if lower.endswith(".zip"):
        return read_zip(body, name, budget)
    if lower.endswith(YAML_SUFFIXES):
        budget.take_file(name)
        if len(body) > MAX_FILE_BYTES:
            raise SourceError(name, too_large_message())
        budget.take_bytes(name, len(body))
        return [(name, decode(body, name))]
    raise SourceError(name, "只接受 .yml / .yaml 文件或 .zip 压缩包")


# ---- YAML ----------------------------------------------------------------------------------

class _RefusedYaml(yaml.YAMLError):
    def __init__(self, message: str, mark: Any):
        super().__init__(message)
        self.problem, self.problem_mark = message, mark


class StrictLoader(yaml.SafeLoader):
    """SafeLoader without anchors/aliases (an alias bomb expands a few hundred bytes into
    gigabytes) and with bounded nesting (deep nesting exhausts the recursion limit)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _RefusedYaml("政策文件不允许使用 YAML 锚点和别名（& 和 *），请把内容直接写出来", event.start_mark)
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                raise _RefusedYaml(f"嵌套超过 {MAX_DEPTH} 层", event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load_yaml(text: str) -> Tuple[Optional[yaml.Node], Any]:
    """One pass: the node tree (for line numbers) and the data built from it."""
    ldr = StrictLoader(text)
    try:
        node = ldr.get_single_node()
        return node, (ldr.construct_document(node) if node is not None else None)
    finally:
        ldr.dispose()
