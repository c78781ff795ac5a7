"""The hooks a seatkeeper plugin can implement.

A plugin is a module (found through the ``seatkeeper`` entry-point group) with functions marked
``@seatkeeper.hookimpl``. Implementations may accept fewer arguments than the spec lists.
"""

import pluggy

hookspec = pluggy.HookspecMarker("seatkeeper")
hookimpl = pluggy.HookimplMarker("seatkeeper")


@hookspec
def register_providers(register):
    """Register licence providers.

    :param register: call ``register(provider)`` once per :class:`seatkeeper.Provider` instance the plugin
        offers. Provider names must be unique across all installed plugins.
    """
