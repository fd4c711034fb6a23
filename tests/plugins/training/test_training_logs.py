"""Log parsing: the real hafs fine-tune log, HF dict lines, campaign lines, tracebacks."""

from __future__ import annotations

import shutil

from studio.plugins.training.readers.logs import LogReader, parse_interval


def test_real_hafs_finetune_log(tmp_path, training_data):
    log = tmp_path / "training_oracle.log"
    shutil.copy(training_data / "hafs_training_oracle_rauru.log", log)
    reader = LogReader(log)
    result = reader.read()
    progress = result.progress
    assert (progress.global_step, progress.max_steps) == (4, 252)
    assert progress.eta_seconds == 14 * 3600 + 51 * 60 + 41
    assert abs(progress.rate - 1 / 215.73) < 1e-9
    assert reader.parser.started_at is not None
    assert result.hints == [] and result.columns == {}


def test_incremental_reads_split_anywhere_give_the_same_result(tmp_path, training_data):
    data = (training_data / "hafs_training_oracle_rauru.log").read_bytes()
    data += (b"\n{'loss': 1.2345, 'grad_norm': 0.5, 'learning_rate': 0.0002, 'epoch': 0.02}\n"
             b"\r  2%|\xe2\x96\x8f         | 5/252 [15:00<14:00:00, 200.00s/it]"
             b"{'loss': '1.1', 'grad_norm': nan, 'epoch': 0.03}\n"
             b" 40%|####      | 10/25 [00:05<00:07, 2.01it/s]\n")  # an eval bar
    whole = LogReader(tmp_path / "whole.log")
    (tmp_path / "whole.log").write_bytes(data)
    expected = whole.read()
    path = tmp_path / "grow.log"
    reader = LogReader(path)
    collected: dict[str, list] = {}
    for cut in range(0, len(data), 97):
        with open(path, "ab") as handle:
            handle.write(data[cut:cut + 97])
        result = reader.read()
        for name, batch in result.columns.items():
            collected.setdefault(name, []).extend(zip(batch.step, batch.value, strict=True))
    assert reader.parser.progress.global_step == expected.progress.global_step == 5
    assert reader.parser.progress.max_steps == 252  # the eval bar did not replace it
    assert collected["loss"][0] == (4.0, 1.2345) and collected["loss"][1] == (5.0, 1.1)
    assert str(collected["grad_norm"][1][1]) == "nan"
    assert {k: len(v) for k, v in collected.items()} == {
        k: len(v) for k, v in expected.columns.items()}


def test_traceback_means_failed_until_progress_resumes(tmp_path):
    path = tmp_path / "train.log"
    path.write_text(" 10%|#         | 10/100 [00:10<01:30, 1.00it/s]\n"
                    "Traceback (most recent call last):\n"
                    '  File "train.py", line 3, in <module>\n'
                    "    trainer.train()\n"
                    "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB\n")
    reader = LogReader(path)
    hints = reader.read().hints
    assert [h.state for h in hints] == ["failed"]
    assert hints[0].message.startswith("torch.OutOfMemoryError: CUDA out of memory")
    with open(path, "a") as handle:
        handle.write("\r 11%|#         | 11/100 [00:11<01:29, 1.00it/s]")
    assert [h.state for h in reader.read().hints] == ["running"]


def test_final_summary_dict_means_completed(tmp_path):
    path = tmp_path / "train.log"
    path.write_text("100%|##########| 50/50 [00:10<00:00, 5.00it/s]\n"
                    "{'train_runtime': 10.5, 'train_samples_per_second': 38.1, "
                    "'train_loss': 1.02, 'epoch': 1.0}\n")
    result = LogReader(path).read()
    assert [h.state for h in result.hints] == ["completed"]
    assert result.progress.eta_seconds == 0.0


def test_hafs_campaign_lines():
    from studio.plugins.training.readers.logs import LogParser
    from studio.plugins.training.series import ColumnBuilder

    parser = LogParser()
    columns = ColumnBuilder()
    for line in ("2025-12-22 18:00:00,001 INFO Target: 34500 samples",
                 "2025-12-22 18:00:01,002 INFO Starting curation",
                 "2025-12-22 18:05:00,000 INFO Generating from domain: asm",
                 "2025-12-22 18:10:00,500 INFO Progress: 1200/34500",
                 "2025-12-22 18:10:01,000 INFO Quality pass rate: 62.5%",
                 "2025-12-22 18:20:00,000 INFO Progress: 1500 / 34500"):
        parser.feed(line, columns)
    batches = columns.build()
    assert parser.target == 34500 and parser.domain == "asm"
    assert (parser.progress.global_step, parser.progress.max_steps) == (1500, 34500)
    assert batches["samples"].value.tolist() == [1200.0, 1500.0]
    assert batches["samples"].wall[1] - batches["samples"].wall[0] == 599.5
    assert batches["quality_pass_rate"].value.tolist() == [0.625]
    assert parser.started_at is not None


def test_interval_formats():
    assert parse_interval("01:45") == 105
    assert parse_interval("14:51:41") == 53501
    assert parse_interval("1d, 02:00:00") == 93600
    assert parse_interval("?") is None
