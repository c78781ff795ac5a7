"""Example Chat: its "API" is a JSON document holding the workspace's API key and its members."""

import hmac
import json
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from seatkeeper import AuthenticationError, BadProviderData, ConfigError, Provider, Rejected, SeatRecord, Setting

# Plan name in the API -> (licence type shown in seatkeeper, costs money?)
PLANS = {"free": ("Free", False), "pro": ("Pro", True), "business": ("Business", True)}


class ExampleChat(Provider[dict]):
    """Seats of an Example Chat workspace: one per member, priced by plan."""

    name = "example"
    title = "Example Chat (fake SaaS)"
    settings = (
        Setting("api_key", "workspace API key", secret=True, env="EXAMPLE_API_KEY"),
        Setting(
            "data_file", "workspace JSON (default: a bundled sample team)", required=False, env="EXAMPLE_DATA_FILE"
        ),
    )

    def authenticate(self, settings):
        """Load the workspace and check the API key against it; the workspace is the session."""
        workspace = load_workspace(settings.get("data_file"))
        if not hmac.compare_digest(str(workspace.get("api_key", "")), settings["api_key"]):
            raise AuthenticationError("Example Chat rejected the API key: check api_key (or EXAMPLE_API_KEY)")
        return workspace

    def fetch(self, session, context):
        """Yield a seat per member, whatever their state; a member that cannot be mapped is Rejected."""
        members = session.get("members")
        if not isinstance(members, list):
            raise BadProviderData("Example Chat answered without a members list")
        context.progress(total=len(members))
        for member in members:
            try:
                plan = member.get("plan")
                license_type, billable = PLANS.get(plan, (plan, True))  # a new plan: assume it costs money
                yield SeatRecord(
                    user_id=member.get("id"),
                    email=member.get("email"),
                    name=member.get("name"),
                    license_type=license_type,
                    billable=billable,
                    status=status_of(member),
                    department=member.get("team"),
                    last_activity_at=member.get("last_seen"),
                )
            except (AttributeError, ValidationError) as error:
                yield Rejected(reason=f"member cannot be mapped: {error.__class__.__name__}", key=_id_of(member))
            context.progress(advance=1)


def load_workspace(data_file):
    """The workspace document: the file named by ``data_file``, else the bundled sample."""
    try:
        if data_file:
            text = Path(data_file).expanduser().read_text(encoding="utf-8")
        else:
            text = resources.files(__package__).joinpath("sample_team.json").read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read the Example Chat data file {data_file}: {error.strerror}") from None
    try:
        workspace = json.loads(text)
    except ValueError as error:
        raise BadProviderData(f"Example Chat data is not JSON: {error}") from None
    if not isinstance(workspace, dict):
        raise BadProviderData("Example Chat data is not a JSON object")
    return workspace


def status_of(member):
    """Example Chat flags deactivated members and open invitations; everyone else is active."""
    if member.get("deactivated"):
        return "inactive"
    return "pending" if member.get("invited") else "active"


def _id_of(member):
    return member.get("id") if isinstance(member, dict) else None
