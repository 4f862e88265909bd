"""Season configuration files (TOML or JSON): ``wss run --config`` and ``wss replay fork
--config``. Keys are ``SeasonConfig``'s (docs/rules.md, "A season configuration file"),
tables for nested sections, plus ``rules_version``."""

import json
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from domain.rules.versions import CURRENT_VERSION, RULE_SETS, UnknownRulesVersion
from schemas.config import SeasonConfig
from wss.errors import WssError


def read_config_file(path: Path) -> dict[str, Any]:
    """The file's table: TOML unless it ends in ``.json``."""
    try:
        text = path.read_text()
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (OSError, ValueError) as error:
        raise WssError(f"config {path}: {error}") from None
    if not isinstance(data, dict):
        raise WssError(f"config {path}: expected a table of settings")
    return data


def load_season_config(path: Path) -> tuple[SeasonConfig, int]:
    """A new season's configuration (defaults for what the file leaves out) and rules
    version (default: the newest)."""
    data = dict(read_config_file(path))
    version = data.pop("rules_version", CURRENT_VERSION)
    if version not in RULE_SETS:
        raise WssError(f"config {path}: {UnknownRulesVersion(version)}")
    try:
        return SeasonConfig.model_validate(data), int(version)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(map(str, first["loc"])) or "config"
        raise WssError(f"config {path}: {where}: {first['msg']}") from None
