"""Lightning metrics.csv and TensorBoard event files (written by tensorboardX, a real writer)."""

from __future__ import annotations

import struct

import pytest

from studio.plugins.training.readers.lightning import LightningCsvReader, locate_lightning_csv
from studio.plugins.training.readers.tensorboard import (
    TensorBoardReader,
    locate_event_files,
    masked_crc32c,
)


def test_lightning_csv_appends_and_header_rewrite(tmp_path):
    folder = tmp_path / "lightning_logs" / "version_3"
    folder.mkdir(parents=True)
    (tmp_path / "lightning_logs" / "version_1").mkdir()
    path = folder / "metrics.csv"
    path.write_text("epoch,step,train_loss\n0,49,2.5\n0,99,2.1\n")
    assert locate_lightning_csv(tmp_path) == [path]
    reader = LightningCsvReader(path)
    result = reader.read()
    assert result.columns["train_loss"].step.tolist() == [49.0, 99.0]
    with open(path, "a") as handle:
        handle.write("0,149,1.9\n0,1")  # the last row is still being written
    result = reader.read()
    assert result.columns["train_loss"].value.tolist() == [1.9]
    # A new metric: Lightning rewrites the file with a wider header.
    path.write_text("epoch,step,train_loss,val_loss\n0,49,2.5,\n0,99,2.1,\n0,149,1.9,\n"
                    "0,199,1.7,2.0\n")
    result = reader.read()
    assert result.reset
    assert result.columns["train_loss"].step.tolist() == [49.0, 99.0, 149.0, 199.0]
    assert result.columns["val_loss"].step.tolist() == [199.0]  # empty cells are not zero
    assert result.progress.global_step == 199


@pytest.fixture
def writer_factory():
    tensorboardx = pytest.importorskip("tensorboardX")
    writers = []

    def make(folder):
        writer = tensorboardx.SummaryWriter(str(folder), flush_secs=3600)
        writers.append(writer)
        return writer

    yield make
    for writer in writers:
        writer.close()


def test_tensorboard_scalars_simple_and_tensor_style(tmp_path, writer_factory):
    writer = writer_factory(tmp_path / "runs" / "Jan01_host")
    for step in range(1, 6):
        writer.add_scalar("train/loss", 3.0 / step, step, walltime=1000.0 + step)
        writer.add_scalar("eval/loss", 2.0 / step, step, new_style=True)  # TF2-style tensor
    writer.add_histogram("weights", [1.0, 2.0, 3.0], 5)  # not a scalar: ignored
    writer.add_text("notes", "hello", 5)
    writer.flush()
    assert len(locate_event_files(tmp_path)) == 1
    reader = TensorBoardReader(tmp_path)
    result = reader.read()
    assert set(result.columns) == {"train/loss", "eval/loss"}
    loss = result.columns["train/loss"]
    assert loss.step.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert loss.value.tolist() == pytest.approx([3.0 / s for s in range(1, 6)], rel=1e-6)
    assert loss.wall.tolist() == [1001.0, 1002.0, 1003.0, 1004.0, 1005.0]
    assert result.columns["eval/loss"].value.tolist() == pytest.approx(
        [2.0 / s for s in range(1, 6)], rel=1e-6)
    assert result.progress.global_step == 5
    # Incremental: only the new records are returned.
    writer.add_scalar("train/loss", 0.1, 6)
    writer.flush()
    more = reader.read()
    assert more.columns["train/loss"].step.tolist() == [6.0] and not more.reset
    assert reader.read().columns == {}


def test_tensorboard_partial_and_damaged_records(tmp_path, writer_factory):
    source = tmp_path / "source"
    writer = writer_factory(source)
    for step in range(3):
        writer.add_scalar("loss", float(step), step)
    writer.flush()
    data = locate_event_files(source)[0].read_bytes()
    target = tmp_path / "copy" / "events.out.tfevents.1.host"
    target.parent.mkdir()
    target.write_bytes(data[:-7])  # the writer has not flushed the last record completely
    reader = TensorBoardReader(target.parent)
    assert reader.read().columns["loss"].step.tolist() == [0.0, 1.0]
    with open(target, "ab") as handle:
        handle.write(data[-7:])
    assert reader.read().columns["loss"].step.tolist() == [2.0]
    header = struct.pack("<Q", 5)
    with open(target, "ab") as handle:  # garbage: a length whose CRC does not match
        handle.write(header + struct.pack("<I", masked_crc32c(header) ^ 1) + b"xxxxx" + b"\0" * 4)
    result = reader.read()
    assert result.error and "length CRC" in result.error and result.columns == {}


def test_crc32c_known_value():
    from studio.plugins.training.readers.tensorboard import crc32c

    assert crc32c(b"123456789") == 0xE3069283  # the CRC-32C check value
