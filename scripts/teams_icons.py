"""Draw the Teams app icons (teams/color.png, teams/outline.png) with the standard library only.

Teams wants a 192x192 full-colour icon and a 32x32 outline icon that is white on transparent.
Both show the same mark: three rising bars, the ranked list. Run from the repository root:
`python scripts/teams_icons.py`; the PNGs are committed, so this only runs when the mark changes.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

ACCENT = (31, 111, 235, 255)
WHITE = (255, 255, 255, 255)
CLEAR = (0, 0, 0, 0)
BARS = ((0.20, 0.62), (0.42, 0.42), (0.64, 0.22))
"""Each bar's left edge and top, as fractions of the side; bars are 0.16 wide and end at 0.80."""

Pixel = tuple[int, int, int, int]


def draw(size: int, background: Pixel, mark: Pixel) -> list[list[Pixel]]:
    rows = [[background] * size for _ in range(size)]
    width, bottom = round(0.16 * size), round(0.80 * size)
    for left, top in BARS:
        x0, y0 = round(left * size), round(top * size)
        for y in range(y0, bottom):
            for x in range(x0, x0 + width):
                rows[y][x] = mark
    return rows


def png(rows: list[list[Pixel]]) -> bytes:
    """An 8-bit RGBA PNG of these pixels."""
    height, width = len(rows), len(rows[0])
    raw = b"".join(b"\x00" + bytes(v for pixel in row for v in pixel) for row in rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def main() -> None:
    folder = Path(__file__).resolve().parent.parent / "teams"
    (folder / "color.png").write_bytes(png(draw(192, ACCENT, WHITE)))
    (folder / "outline.png").write_bytes(png(draw(32, CLEAR, WHITE)))


if __name__ == "__main__":
    main()
