"""Lightning metrics.csv and TensorBoard event files (written by tensorboardX, a real writer)."""

from __future__ import annotations

import struct

import numpy as np
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


class EventWriter:
    """tensorboardX's synchronous event writer (what its SummaryWriter's background thread
    calls), so a test knows when the bytes are on disk."""

    def __init__(self, folder):
        from tensorboardX.event_file_writer import EventsWriter

        folder.mkdir(parents=True, exist_ok=True)
        self.writer = EventsWriter(str(folder / "events"))

    def scalar(self, tag, value, step, walltime=None):
        from tensorboardX.summary import scalar

        self.summary(scalar(tag, value), step, walltime)

    def summary(self, summary, step, walltime=None):
        from tensorboardX.proto import event_pb2

        self.writer.write_event(event_pb2.Event(wall_time=walltime or 1.0, step=step,
                                                summary=summary))
        self.writer.flush()

    def close(self):
        self.writer.close()


@pytest.fixture
def writer_factory():
    pytest.importorskip("tensorboardX")
    writers = []

    def make(folder):
        writers.append(EventWriter(folder))
        return writers[-1]

    yield make
    for writer in writers:
        writer.close()


def _tensor_scalar(writer, tag: str, value: float, step: int, *, first: bool,
                   as_content: bool = False) -> None:
    """A TF2-style scalar (``tf.summary.scalar``): a 0-d tensor, plugin metadata only on the
    tag's first event."""
    from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata
    from tensorboardX.proto.tensor_pb2 import TensorProto
    from tensorboardX.proto.tensor_shape_pb2 import TensorShapeProto

    tensor = TensorProto(dtype=2, tensor_shape=TensorShapeProto(),
                         tensor_content=struct.pack("<d", value)) if as_content else \
        TensorProto(dtype=1, tensor_shape=TensorShapeProto(), float_val=[value])
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
    item = Summary.Value(tag=tag, tensor=tensor, metadata=metadata) if first else \
        Summary.Value(tag=tag, tensor=tensor)
    writer.summary(Summary(value=[item]), step)


def test_tensorboard_scalars_simple_and_tensor_style(tmp_path, writer_factory):
    from tensorboardX.summary import histogram, text

    writer = writer_factory(tmp_path / "runs" / "Jan01_host")
    for step in range(1, 6):
        writer.scalar("train/loss", 3.0 / step, step, walltime=1000.0 + step)
        _tensor_scalar(writer, "eval/loss", 2.0 / step, step, first=step == 1)
        _tensor_scalar(writer, "eval/acc", step / 10, step, first=step == 1, as_content=True)
    writer.summary(histogram("weights", np.array([1.0, 2.0, 3.0]), "auto"), 5)  # not scalars
    writer.summary(text("notes", "hello"), 5)
    assert len(locate_event_files(tmp_path)) == 1
    reader = TensorBoardReader(tmp_path)
    result = reader.read()
    assert set(result.columns) == {"train/loss", "eval/loss", "eval/acc"}
    assert result.columns["eval/acc"].value.tolist() == [0.1, 0.2, 0.3, 0.4, 0.5]
    loss = result.columns["train/loss"]
    assert loss.step.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert loss.value.tolist() == pytest.approx([3.0 / s for s in range(1, 6)], rel=1e-6)
    assert loss.wall.tolist() == [1001.0, 1002.0, 1003.0, 1004.0, 1005.0]
    assert result.columns["eval/loss"].value.tolist() == pytest.approx(
        [2.0 / s for s in range(1, 6)], rel=1e-6)
    assert result.progress.global_step == 5
    # Incremental: only the new records are returned.
    writer.scalar("train/loss", 0.1, 6)
    more = reader.read()
    assert more.columns["train/loss"].step.tolist() == [6.0] and not more.reset
    assert reader.read().columns == {}
    # A restarted run writes a second file beside the first: both are followed.
    second = EventWriter(tmp_path / "runs" / "Jan02_host")
    second.scalar("train/loss", 0.05, 7)
    second.close()
    assert reader.read().columns["train/loss"].step.tolist() == [7.0]


def test_tensorboard_partial_and_damaged_records(tmp_path, writer_factory):
    source = tmp_path / "source"
    writer = writer_factory(source)
    for step in range(3):
        writer.scalar("loss", float(step), step)
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
