"""The committed gRPC code is what `make proto` makes from proto/ today."""

from __future__ import annotations

from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ("booking_pb2.py", "booking_pb2.pyi", "booking_pb2_grpc.py")


def test_generated_grpc_code_matches_the_proto(tmp_path: Path) -> None:
    status = protoc.main(
        [
            "protoc",
            f"-I{ROOT / 'proto'}",
            f"--python_out={tmp_path}",
            f"--pyi_out={tmp_path}",
            f"--grpc_python_out={tmp_path}",
            str(ROOT / "proto/lastseat/v1/booking.proto"),
        ]
    )
    assert status == 0
    for name in GENERATED:
        fresh = (tmp_path / "lastseat/v1" / name).read_text()
        committed = (ROOT / "src/lastseat/v1" / name).read_text()
        assert fresh == committed, f"src/lastseat/v1/{name} is stale: run `make proto`"
