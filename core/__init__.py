"""seatkeeper: track paid SaaS licence seats across providers.

The public API for plugin authors is re-exported here::

    from seatkeeper import hookimpl, Provider, Setting, SeatRecord, SeatPlan, Rejected, SeatStatus
"""

from .errors import (
    AuthenticationError,
    BadProviderData,
    ConfigError,
    PermissionDenied,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    SeatkeeperError,
)
from .hookspecs import hookimpl
from .provider import DemoSnapshot, FetchContext, Provider, Setting
from .schema import Person, PersonStatus, Rejected, SeatPlan, SeatRecord, SeatStatus

__all__ = [
    "AuthenticationError",
    "BadProviderData",
    "ConfigError",
    "DemoSnapshot",
    "FetchContext",
    "PermissionDenied",
    "Person",
    "PersonStatus",
    "Provider",
    "ProviderError",
    "ProviderUnavailable",
    "RateLimited",
    "Rejected",
    "SeatPlan",
    "SeatRecord",
    "SeatStatus",
    "SeatkeeperError",
    "Setting",
    "hookimpl",
]
