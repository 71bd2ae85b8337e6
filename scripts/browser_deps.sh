#!/usr/bin/env bash
# The browser tests need Debian's Chromium and CJK fonts (no browser download from elsewhere).
# Installs them with apt when missing and this user can; otherwise stops and says how.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
[ ${#need[@]} -eq 0 ] && exit 0
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo -n)
echo "浏览器测试需要 ${need[*]}，正在用 apt 安装……"
if ! { DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get update -qq &&
       DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq "${need[@]}" >/dev/null; }; then
  echo "✗ 无法安装 ${need[*]}。请以 root 运行：apt-get install -y ${need[*]}，再运行 make test。" >&2
  exit 1
fi
