"""rasa_sdk actions, grouped by family. The executor imports every module here."""
