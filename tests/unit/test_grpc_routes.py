"""Which gRPC services the firewall routes: reflection only when made public."""

from __future__ import annotations

import re

from lastseat.config import Settings
from lastseat.stack import nginx


def routed(settings: Settings, service: str) -> bool:
    return re.fullmatch(f"(?:{nginx.grpc_services(settings)})", service) is not None


def test_grpc_reflection_is_routed_by_the_firewall_only_when_public() -> None:
    default = Settings(_env_file=None)
    assert not default.grpc_reflection_public
    assert routed(default, "lastseat.v1.Booking") and routed(default, "grpc.health.v1.Health")
    assert not routed(default, nginx.GRPC_REFLECTION)
    assert routed(Settings(_env_file=None, grpc_reflection_public=True), nginx.GRPC_REFLECTION)
