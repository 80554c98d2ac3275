"""wrangler.toml is validated at load; every problem names the file and the key."""

from pathlib import Path

import pytest

from emulator.errors import ConfigError
from emulator.wrangler import PYTHON_FLAG_MESSAGE, load_config, parse_dev_vars

BASE = 'name = "w"\nmain = "main.py"\ncompatibility_flags = ["python_workers"]\n'


def config(tmp_path: Path, text: str) -> Path:
    (tmp_path / "main.py").write_text("")
    path = tmp_path / "wrangler.toml"
    path.write_text(text)
    return path


def problem(tmp_path: Path, text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(config(tmp_path, text))
    return caught.value


def test_a_minimal_python_worker_loads(tmp_path):
    loaded = load_config(config(tmp_path, BASE))
    assert (loaded.name, loaded.main, loaded.root) == ("w", tmp_path / "main.py", tmp_path)


def test_vars_kv_and_crons_are_read(tmp_path):
    loaded = load_config(
        config(
            tmp_path,
            BASE
            + (
                '[vars]\nORIGIN = "http://o"\nLIMITS = { max = 3 }\n'
                '[[kv_namespaces]]\nbinding = "KV"\nid = "abc"\n'
                '[triggers]\ncrons = ["*/5 * * * *"]\n'
            ),
        )
    )
    assert loaded.vars == {"ORIGIN": "http://o", "LIMITS": {"max": 3}}
    assert [(kv.binding, kv.id) for kv in loaded.kv_namespaces] == [("KV", "abc")]
    assert loaded.crons == ("*/5 * * * *",)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="file not found") as caught:
        load_config(tmp_path / "wrangler.toml")
    assert caught.value.file.endswith("wrangler.toml")


def test_malformed_toml_is_named(tmp_path):
    assert "not valid TOML" in str(problem(tmp_path, "main = \n"))


def test_main_is_required(tmp_path):
    assert problem(tmp_path, 'compatibility_flags = ["python_workers"]\n').key == "main"


def test_a_main_that_does_not_exist_is_named(tmp_path):
    error = problem(tmp_path, BASE.replace("main.py", "gone.py"))
    assert (error.key, error.problem) == ("main", "gone.py does not exist")


def test_without_python_workers_the_runtimes_message_is_given(tmp_path):
    error = problem(tmp_path, 'main = "main.py"\ncompatibility_flags = ["nodejs_compat"]\n')
    assert (error.key, error.problem) == ("compatibility_flags", PYTHON_FLAG_MESSAGE)


def test_an_unsupported_binding_type_is_named(tmp_path):
    error = problem(tmp_path, BASE + '[[r2_buckets]]\nbinding = "B"\nbucket_name = "b"\n')
    assert error.key == "r2_buckets"


def test_an_unknown_binding_type_is_named(tmp_path):
    error = problem(tmp_path, BASE + '[[teleporters]]\nbinding = "T"\n')
    assert (error.key, error.problem) == ("teleporters", "unknown binding type")


def test_an_unexpected_plain_field_is_only_a_warning(tmp_path):
    loaded = load_config(config(tmp_path, BASE + 'colour = "blue"\n'))
    assert any("colour" in warning for warning in loaded.warnings)


def test_an_invalid_cron_is_named_by_index(tmp_path):
    error = problem(tmp_path, BASE + '[triggers]\ncrons = ["* * * * *", "every day"]\n')
    assert error.key == "triggers.crons[1]"


def test_a_kv_binding_declared_twice_is_named(tmp_path):
    error = problem(
        tmp_path,
        BASE + '[[kv_namespaces]]\nbinding = "K"\nid = "1"\n'
        '[[kv_namespaces]]\nbinding = "K"\nid = "2"\n',
    )
    assert error.key == "kv_namespaces[1].binding"


def test_the_message_is_one_line_naming_file_and_key(tmp_path):
    error = problem(tmp_path, BASE.replace("main.py", "gone.py"))
    assert str(error) == f"{tmp_path / 'wrangler.toml'}: main: gone.py does not exist"
    assert "\n" not in str(error)


def test_dev_vars_are_read_as_secrets(tmp_path):
    (tmp_path / ".dev.vars").write_text('# secrets\nAPI_KEY="s3cret"\nexport TOKEN=abc\n')
    assert load_config(config(tmp_path, BASE)).secrets == {"API_KEY": "s3cret", "TOKEN": "abc"}


def test_a_malformed_dev_vars_line_is_named(tmp_path):
    path = tmp_path / ".dev.vars"
    path.write_text("OK=1\nnot a pair\n")
    with pytest.raises(ConfigError) as caught:
        parse_dev_vars(path)
    assert caught.value.key == "line 2"


def test_queue_consumers_are_read_with_cloudflares_defaults(tmp_path):
    loaded = load_config(config(tmp_path, BASE + '[[queues.consumers]]\nqueue = "events"\n'))
    (consumer,) = loaded.queue_consumers
    assert (consumer.queue, consumer.max_batch_size, consumer.max_batch_timeout) == (
        "events",
        10,
        5.0,
    )
    assert (consumer.max_retries, consumer.dead_letter_queue) == (3, None)


def test_a_consumer_setting_out_of_bounds_is_named(tmp_path):
    text = BASE + '[[queues.consumers]]\nqueue = "events"\nmax_batch_size = 101\n'
    assert problem(tmp_path, text).key == "queues.consumers[0].max_batch_size"


def test_a_consumer_without_a_queue_is_named(tmp_path):
    text = BASE + "[[queues.consumers]]\nmax_batch_size = 5\n"
    assert problem(tmp_path, text).key == "queues.consumers[0].queue"


def test_queue_producers_are_read(tmp_path):
    text = BASE + '[[queues.producers]]\nbinding = "Q"\nqueue = "events"\ndelivery_delay = 5\n'
    (producer,) = load_config(config(tmp_path, text)).queue_producers
    assert (producer.binding, producer.queue, producer.delivery_delay) == ("Q", "events", 5)


def test_a_producer_delivery_delay_out_of_bounds_is_named(tmp_path):
    text = BASE + '[[queues.producers]]\nbinding = "Q"\nqueue = "e"\ndelivery_delay = 43201\n'
    assert problem(tmp_path, text).key == "queues.producers[0].delivery_delay"


def test_the_version_metadata_binding_is_read(tmp_path):
    loaded = load_config(
        config(tmp_path, BASE + '[version_metadata]\nbinding = "CF_VERSION_METADATA"\n')
    )
    assert loaded.version_metadata == "CF_VERSION_METADATA"


def test_a_version_metadata_without_a_binding_name_is_named(tmp_path):
    error = problem(tmp_path, BASE + "[version_metadata]\n")
    assert error.key == "version_metadata.binding"


def test_analytics_engine_datasets_are_read_with_the_binding_as_default_dataset(tmp_path):
    loaded = load_config(
        config(
            tmp_path,
            BASE + '[[analytics_engine_datasets]]\nbinding = "M"\ndataset = "popcache"\n'
            '[[analytics_engine_datasets]]\nbinding = "N"\n',
        )
    )
    assert [(d.binding, d.dataset) for d in loaded.datasets] == [("M", "popcache"), ("N", "N")]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (
            '[[analytics_engine_datasets]]\nbinding = "bad name"\n',
            "analytics_engine_datasets[0].binding",
        ),
        (
            '[[analytics_engine_datasets]]\nbinding = "M"\ndataset = ""\n',
            "analytics_engine_datasets[0].dataset",
        ),
        ("analytics_engine_datasets = 3\n", "analytics_engine_datasets"),
    ],
)
def test_a_bad_analytics_engine_dataset_is_named(tmp_path, text, key):
    assert problem(tmp_path, BASE + text).key == key.replace(
        "DATASET", "analytics_engine_datasets[0]"
    )
