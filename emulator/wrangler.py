"""``wrangler.toml`` (and ``.dev.vars``) as the emulator reads them.

Follows https://developers.cloudflare.com/workers/wrangler/configuration/ for the keys popcache
supports: ``name``, ``main``, ``compatibility_date``, ``compatibility_flags``, ``[vars]``,
``[[kv_namespaces]]``, ``[[queues.*]]``, ``[[analytics_engine_datasets]]``,
``[version_metadata]`` and ``[triggers] crons``; secrets come from
``.dev.vars`` beside the file, as ``wrangler dev`` reads them. Every problem raises
:class:`ConfigError` naming the file and key. A binding type popcache does not emulate is an
error, never silently ignored; an unexpected plain field is a warning, as wrangler's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from croniter import croniter

from .errors import ConfigError
from .tomlfile import read_toml

__all__ = [
    "DatasetBinding",
    "KVBinding",
    "QueueConsumer",
    "QueueProducer",
    "WorkerConfig",
    "load_config",
    "parse_dev_vars",
]

PYTHON_FLAG_MESSAGE = "The python_workers compatibility flag is required to use Python."

# Plain (non-binding) top-level keys of wrangler's schema: accepted, most of them unused here.
KNOWN_FIELDS = frozenset(
    {
        "name",
        "main",
        "queues",
        "compatibility_date",
        "compatibility_flags",
        "account_id",
        "workers_dev",
        "preview_urls",
        "route",
        "routes",
        "triggers",
        "vars",
        "kv_namespaces",
        "analytics_engine_datasets",
        "version_metadata",
        "build",
        "rules",
        "observability",
        "placement",
        "limits",
        "dev",
        "env",
        "minify",
        "no_bundle",
        "keep_vars",
        "logpush",
        "upload_source_maps",
        "base_dir",
        "find_additional_modules",
        "define",
        "usage_model",
        "send_metrics",
        "tail_consumers",
        "python_modules",
        "$schema",
    }
)
# Binding types of wrangler's schema that popcache does not emulate (yet).
UNSUPPORTED_BINDINGS = frozenset(
    {
        "r2_buckets",
        "d1_databases",
        "durable_objects",
        "services",
        "ai",
        "vectorize",
        "hyperdrive",
        "mtls_certificates",
        "browser",
        "dispatch_namespaces",
        "send_email",
        "workflows",
        "images",
        "pipelines",
        "secrets_store_secrets",
        "unsafe",
        "assets",
        "ratelimits",
        "containers",
        "migrations",
    }
)
_BINDING_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class KVBinding:
    binding: str
    id: str


@dataclass(frozen=True)
class DatasetBinding:
    """An ``[[analytics_engine_datasets]]`` entry: ``env.<binding>`` writes to ``dataset``."""

    binding: str
    dataset: str


@dataclass(frozen=True)
class QueueConsumer:
    """A ``[[queues.consumers]]`` entry: this worker's ``queue()`` consumes ``queue``."""

    queue: str
    max_batch_size: int = 10
    max_batch_timeout: float = 5.0
    max_retries: int = 3
    dead_letter_queue: str | None = None
    retry_delay: int = 0


@dataclass(frozen=True)
class QueueProducer:
    """A ``[[queues.producers]]`` entry: ``env.<binding>`` sends to ``queue``, each message
    held back ``delivery_delay`` seconds unless the send says otherwise."""

    binding: str
    queue: str
    delivery_delay: int = 0


@dataclass(frozen=True)
class WorkerConfig:
    path: Path
    name: str
    main: Path
    compatibility_date: str | None = None
    compatibility_flags: tuple[str, ...] = ()
    vars: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    kv_namespaces: tuple[KVBinding, ...] = ()
    datasets: tuple[DatasetBinding, ...] = ()
    crons: tuple[str, ...] = ()
    queue_consumers: tuple[QueueConsumer, ...] = ()
    queue_producers: tuple[QueueProducer, ...] = ()
    version_metadata: str | None = None
    warnings: tuple[str, ...] = ()

    @property
    def root(self) -> Path:
        """The folder imports resolve from: main's folder, as on Cloudflare."""
        return self.main.parent


def load_config(path: Path) -> WorkerConfig:
    """Read and validate a ``wrangler.toml``; raise ConfigError naming file and key."""
    path = path.resolve()
    raw = read_toml(path)
    notes: list[str] = []
    for key, value in raw.items():
        if key in UNSUPPORTED_BINDINGS:
            raise ConfigError(
                path,
                "binding type not supported by popcache "
                "(supported: vars, kv_namespaces, queues, analytics_engine_datasets, "
                "version_metadata)",
                key,
            )
        if key not in KNOWN_FIELDS:
            if (
                isinstance(value, dict | list)
                and value
                and all(
                    isinstance(item, dict)
                    for item in (value if isinstance(value, list) else [value])
                )
            ):
                raise ConfigError(path, "unknown binding type", key)
            notes.append(f"{path}: {key}: unexpected field, ignored")
    return WorkerConfig(
        path=path,
        name=_string(path, raw, "name", default=path.parent.name),
        main=_main(path, raw),
        compatibility_date=_date(path, raw),
        compatibility_flags=_flags(path, raw),
        vars=_vars(path, raw),
        secrets=parse_dev_vars(path.parent / ".dev.vars"),
        kv_namespaces=_kv(path, raw),
        datasets=_datasets(path, raw),
        crons=_crons(path, raw),
        queue_consumers=_queue_consumers(path, raw),
        queue_producers=_queue_producers(path, raw),
        version_metadata=_version_metadata(path, raw),
        warnings=tuple(notes),
    )


def _string(path: Path, raw: dict[str, Any], key: str, default: str | None = None) -> str:
    value = raw.get(key, default)
    if value is None:
        raise ConfigError(path, "is required", key)
    if not isinstance(value, str) or not value:
        raise ConfigError(path, "must be a non-empty string", key)
    return value


def _main(path: Path, raw: dict[str, Any]) -> Path:
    main = (path.parent / _string(path, raw, "main")).resolve()
    if main.suffix != ".py":
        raise ConfigError(path, f"{raw['main']} is not a Python module (.py)", "main")
    if not main.is_file():
        raise ConfigError(path, f"{raw['main']} does not exist", "main")
    return main


def _date(path: Path, raw: dict[str, Any]) -> str | None:
    value = raw.get("compatibility_date")
    if value is None:
        return None
    if not isinstance(value, str) or not _DATE.match(value):
        raise ConfigError(path, "must be a date as YYYY-MM-DD", "compatibility_date")
    return value


def _flags(path: Path, raw: dict[str, Any]) -> tuple[str, ...]:
    flags = raw.get("compatibility_flags", [])
    if not isinstance(flags, list) or not all(isinstance(flag, str) for flag in flags):
        raise ConfigError(path, "must be a list of strings", "compatibility_flags")
    if "python_workers" not in flags:
        raise ConfigError(path, PYTHON_FLAG_MESSAGE, "compatibility_flags")
    return tuple(flags)


def _vars(path: Path, raw: dict[str, Any]) -> dict[str, Any]:
    values = raw.get("vars", {})
    if not isinstance(values, dict):
        raise ConfigError(path, "must be a table", "vars")
    for name in values:
        if not _BINDING_NAME.match(name):
            raise ConfigError(path, "is not a valid binding name", f"vars.{name}")
    return dict(values)


def _binding_tables(path: Path, raw: dict[str, Any], key: str) -> list[tuple[str, Any, str]]:
    """Each ``[[key]]`` table as (where, table, binding name), names valid and unique."""
    entries = raw.get(key, [])
    if not isinstance(entries, list):
        raise ConfigError(path, f"must be an array of tables ([[{key}]])", key)
    found: list[tuple[str, Any, str]] = []
    for index, entry in enumerate(entries):
        where = f"{key}[{index}]"
        if not isinstance(entry, dict):
            raise ConfigError(path, "must be a table", where)
        name = entry.get("binding")
        if not isinstance(name, str) or not _BINDING_NAME.match(name):
            raise ConfigError(path, "must be a valid binding name", f"{where}.binding")
        if any(seen == name for _, _, seen in found):
            raise ConfigError(path, f"binding {name} is declared twice", f"{where}.binding")
        found.append((where, entry, name))
    return found


def _kv(path: Path, raw: dict[str, Any]) -> tuple[KVBinding, ...]:
    bindings: list[KVBinding] = []
    for where, entry, name in _binding_tables(path, raw, "kv_namespaces"):
        namespace_id = entry.get("id", entry.get("preview_id", name))
        if not isinstance(namespace_id, str) or not namespace_id:
            raise ConfigError(path, "must be a non-empty string", f"{where}.id")
        bindings.append(KVBinding(name, namespace_id))
    return tuple(bindings)


def _datasets(path: Path, raw: dict[str, Any]) -> tuple[DatasetBinding, ...]:
    bindings: list[DatasetBinding] = []
    for where, entry, name in _binding_tables(path, raw, "analytics_engine_datasets"):
        dataset = entry.get("dataset", name)  # wrangler: the binding's name when left out
        if not isinstance(dataset, str) or not dataset:
            raise ConfigError(path, "must be a non-empty string", f"{where}.dataset")
        bindings.append(DatasetBinding(name, dataset))
    return tuple(bindings)


def _version_metadata(path: Path, raw: dict[str, Any]) -> str | None:
    """The binding name of ``[version_metadata]``, the deployed version's id, tag and time."""
    table = raw.get("version_metadata")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError(path, "must be a table", "version_metadata")
    name = table.get("binding")
    if not isinstance(name, str) or not _BINDING_NAME.match(name):
        raise ConfigError(path, "must be a valid binding name", "version_metadata.binding")
    return name


def _crons(path: Path, raw: dict[str, Any]) -> tuple[str, ...]:
    triggers = raw.get("triggers", {})
    if not isinstance(triggers, dict):
        raise ConfigError(path, "must be a table", "triggers")
    crons = triggers.get("crons", [])
    if not isinstance(crons, list):
        raise ConfigError(path, "must be a list of cron expressions", "triggers.crons")
    for index, cron in enumerate(crons):
        if not isinstance(cron, str) or not croniter.is_valid(cron):
            raise ConfigError(
                path, f"{cron!r} is not a valid cron expression", f"triggers.crons[{index}]"
            )
    return tuple(crons)


# Cloudflare's bounds for consumer settings
# (https://developers.cloudflare.com/queues/configuration/configure-queues/).
_CONSUMER_BOUNDS: dict[str, tuple[type, float, float]] = {
    "max_batch_size": (int, 1, 100),
    "max_batch_timeout": (float, 0, 60),
    "max_retries": (int, 0, 100),
    "retry_delay": (int, 0, 43_200),
    "max_concurrency": (int, 1, 250),
}


def _queue_consumers(path: Path, raw: dict[str, Any]) -> tuple[QueueConsumer, ...]:
    queues = raw.get("queues", {})
    if not isinstance(queues, dict):
        raise ConfigError(path, "must be a table", "queues")
    entries = queues.get("consumers", [])
    if not isinstance(entries, list):
        raise ConfigError(path, "must be an array of tables", "queues.consumers")
    consumers = []
    for index, entry in enumerate(entries):
        where = f"queues.consumers[{index}]"
        if not isinstance(entry, dict):
            raise ConfigError(path, "must be a table", where)
        settings: dict[str, Any] = {}
        for key, value in entry.items():
            if key in ("queue", "dead_letter_queue"):
                if not isinstance(value, str) or not value:
                    raise ConfigError(path, "must be a queue name", f"{where}.{key}")
                settings[key] = value
            elif key in _CONSUMER_BOUNDS:
                kind, low, high = _CONSUMER_BOUNDS[key]
                if (
                    isinstance(value, bool)
                    or not isinstance(value, int | float)
                    or not (low <= value <= high)
                    or (kind is int and not isinstance(value, int))
                ):
                    raise ConfigError(
                        path, f"must be a number from {low:g} to {high:g}", f"{where}.{key}"
                    )
                if key != "max_concurrency":
                    settings[key] = kind(value)
            else:
                raise ConfigError(path, "unknown consumer setting", f"{where}.{key}")
        if "queue" not in settings:
            raise ConfigError(path, "is required", f"{where}.queue")
        consumers.append(QueueConsumer(**settings))
    return tuple(consumers)


def _queue_producers(path: Path, raw: dict[str, Any]) -> tuple[QueueProducer, ...]:
    queues = raw.get("queues", {})
    if not isinstance(queues, dict):
        raise ConfigError(path, "must be a table", "queues")
    entries = queues.get("producers", [])
    if not isinstance(entries, list):
        raise ConfigError(path, "must be an array of tables", "queues.producers")
    producers: list[QueueProducer] = []
    for index, entry in enumerate(entries):
        where = f"queues.producers[{index}]"
        if not isinstance(entry, dict):
            raise ConfigError(path, "must be a table", where)
        for key in entry:
            if key not in ("binding", "queue", "delivery_delay"):
                raise ConfigError(path, "unknown producer setting", f"{where}.{key}")
        name = entry.get("binding")
        if not isinstance(name, str) or not _BINDING_NAME.match(name):
            raise ConfigError(path, "must be a valid binding name", f"{where}.binding")
        if any(producer.binding == name for producer in producers):
            raise ConfigError(path, f"binding {name} is declared twice", f"{where}.binding")
        queue = entry.get("queue")
        if not isinstance(queue, str) or not queue:
            raise ConfigError(path, "must be a queue name", f"{where}.queue")
        delay = entry.get("delivery_delay", 0)
        if isinstance(delay, bool) or not isinstance(delay, int) or not 0 <= delay <= 43_200:
            raise ConfigError(path, "must be a number from 0 to 43200", f"{where}.delivery_delay")
        producers.append(QueueProducer(name, queue, delay))
    return tuple(producers)


def parse_dev_vars(path: Path) -> dict[str, str]:
    """``.dev.vars`` in dotenv syntax (``KEY=value``, optional quotes, ``#`` comments)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    secrets: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.removeprefix("export ").partition("=")
        name = name.strip()
        if not sep or not _BINDING_NAME.match(name):
            raise ConfigError(path, "expected KEY=value", f"line {number}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        secrets[name] = value
    return secrets
