"""What every diagram script in tools/ shares: where the images go, a blank canvas, arrows and saving.

The chapters' static diagrams are drawn by code (`tools/draw_*.py`), so a contributor can change one and
redraw it; each is a small PNG on white, referenced from the notebooks as ../images/<name>.png.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402

IMAGES = Path(__file__).resolve().parent.parent / "images"
INK = "#1f2328"
MUTED = "#57606a"


def canvas(width: float, height: float, *, dpi: int = 90, x: tuple[float, float] | None = None,
           y: tuple[float, float] | None = None):
    """A figure of width x height inches with one frameless axes spanning x and y (default: 0 to the inches)."""
    figure, axes = plt.subplots(figsize=(width, height), dpi=dpi)
    axes.set_xlim(*(x or (0, width)))
    axes.set_ylim(*(y or (0, height)))
    axes.axis("off")
    return figure, axes


def arrow(axes, start: tuple[float, float], end: tuple[float, float], *, colour: str = INK, style: str = "-|>",
          connection: str = "arc3", width: float = 1.2, head: float = 12) -> None:
    """An arrow from start to end (in data coordinates), touching both points."""
    axes.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=head, color=colour, linewidth=width,
                                   connectionstyle=connection, shrinkA=0, shrinkB=0))


def save(figure: Figure, name: str) -> Path:
    """Write the figure to images/<name> (white, trimmed to its content), close it and say how big it is."""
    IMAGES.mkdir(exist_ok=True)
    path = IMAGES / name
    figure.savefig(path, dpi=figure.dpi, facecolor="white", bbox_inches="tight", pad_inches=0.05)
    plt.close(figure)
    print(f"images/{name}: {path.stat().st_size / 1024:.0f} KiB")
    return path
