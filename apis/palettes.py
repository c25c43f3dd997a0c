"""The Colors API's shared palettes: public, read-only data that belongs to no user.

They are what a service (a client-credentials token, no user) may read: a machine-to-machine
caller has nobody's colors to see, so the API gives it the shared catalogue instead. They ship
with the code (no table, no migration): the sample API has no editor for them.
"""

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class PaletteColor:
    name: str
    hex: str


@dataclass(frozen=True)
class Palette:
    slug: str
    name: str
    colors: tuple[PaletteColor, ...]


def _palette(slug: str, name: str, *colors: tuple[str, str]) -> Palette:
    return Palette(slug, name, tuple(PaletteColor(n, h) for n, h in colors))


SHARED_PALETTES = (
    _palette(
        "sea",
        "Sea",
        ("Foam", "#e0f7fa"),
        ("Shallows", "#4dd0e1"),
        ("Deep", "#00838f"),
        ("Abyss", "#004d40"),
    ),
    _palette(
        "sunset",
        "Sunset",
        ("Gold", "#ffb300"),
        ("Coral", "#ff7043"),
        ("Rose", "#d81b60"),
        ("Dusk", "#4a148c"),
    ),
    _palette(
        "forest",
        "Forest",
        ("Moss", "#8bc34a"),
        ("Fern", "#558b2f"),
        ("Pine", "#1b5e20"),
        ("Bark", "#5d4037"),
    ),
)


def palettes_shared() -> list[dict]:
    """Every shared palette as plain data, in a stable order."""
    return [asdict(palette) for palette in SHARED_PALETTES]
