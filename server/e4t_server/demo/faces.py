"""Procedural stylized faces, deterministic from a seed.

A face is the product of two independent sets of factors:

* ``IdentityFactors`` — who the person is (face shape, skin tone, eyes, hair, brows, nose,
  mouth, accessories). These are what a personalized concept must preserve.
* ``NuisanceFactors`` — how this particular picture was taken (pose jitter, scale, lighting,
  background colour, drawing style). Background, lighting and style are also the context
  words a prompt can ask for, so ``caption`` turns them into text.

``render`` draws the face with PIL at three times the target resolution, applies pose, style and
lighting, and downsamples with an antialiasing filter. It also returns the soft mask of the
person (skin, features, hair, neck) that the face-domain diffusion loss is masked with.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps

RGB = tuple[int, int, int]
Point = tuple[float, float]

# --- identity schema -------------------------------------------------------------------------

CATEGORICAL_FACTORS: dict[str, tuple[str, ...]] = {
    "jaw": ("round", "square", "pointed", "oval"),
    "eye_colour": ("brown", "blue", "green", "gray", "hazel"),
    "eye_shape": ("round", "almond", "narrow"),
    "hair_colour": (
        "black",
        "dark-brown",
        "brown",
        "auburn",
        "ginger",
        "blonde",
        "platinum",
        "gray",
    ),
    "hair_style": ("bald", "short", "long", "bun", "bangs", "curly"),
    "nose_shape": ("button", "straight", "wide"),
    "mouth_shape": ("neutral", "smile", "full"),
    "glasses": ("none", "round", "square"),
    "beard": ("none", "stubble", "moustache", "full"),
    "earrings": ("no", "yes"),
    "freckles": ("no", "yes"),
}
"""Categorical identity factors and their possible values (order defines class indices)."""

CONTINUOUS_FACTORS: tuple[str, ...] = (
    "face_width",
    "skin_tone",
    "eye_spacing",
    "eye_size",
    "brow_thickness",
    "brow_angle",
    "nose_size",
    "mouth_width",
)
"""Continuous identity factors, each a unitless amount in [0, 1]."""

# Accessories are rarer than their absence, as in real portraits.
_CATEGORICAL_WEIGHTS: dict[str, tuple[float, ...]] = {
    "glasses": (0.6, 0.2, 0.2),
    "beard": (0.55, 0.15, 0.15, 0.15),
    "earrings": (0.7, 0.3),
    "freckles": (0.7, 0.3),
}

EYE_COLOURS: dict[str, RGB] = {
    "brown": (105, 62, 30),
    "blue": (55, 120, 210),
    "green": (50, 155, 75),
    "gray": (150, 160, 170),
    "hazel": (175, 135, 45),
}
HAIR_COLOURS: dict[str, RGB] = {
    "black": (28, 24, 24),
    "dark-brown": (64, 42, 28),
    "brown": (115, 75, 42),
    "auburn": (145, 58, 35),
    "ginger": (210, 110, 45),
    "blonde": (228, 198, 120),
    "platinum": (238, 234, 220),
    "gray": (150, 150, 150),
}
# Anchors from light to deep skin; ``skin_tone`` interpolates along them.
_SKIN_ANCHORS: tuple[RGB, ...] = (
    (255, 226, 200),
    (241, 196, 162),
    (224, 172, 130),
    (198, 136, 92),
    (160, 102, 66),
    (112, 72, 46),
    (74, 50, 36),
)


@dataclass(frozen=True)
class IdentityFactors:
    """Everything that makes one face the same person across pictures.

    Categorical fields take values from ``CATEGORICAL_FACTORS``; continuous fields are amounts in
    [0, 1] that the renderer maps to geometry or colour.
    """

    jaw: str
    eye_colour: str
    eye_shape: str
    hair_colour: str
    hair_style: str
    nose_shape: str
    mouth_shape: str
    glasses: str
    beard: str
    earrings: str
    freckles: str
    face_width: float
    skin_tone: float
    eye_spacing: float
    eye_size: float
    brow_thickness: float
    brow_angle: float
    nose_size: float
    mouth_width: float

    def __post_init__(self) -> None:
        for name, values in CATEGORICAL_FACTORS.items():
            if getattr(self, name) not in values:
                raise ValueError(f"{name}={getattr(self, name)!r} is not one of {values}")
        for name in CONTINUOUS_FACTORS:
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name}={getattr(self, name)!r} is outside [0, 1]")

    def categorical_indices(self) -> dict[str, int]:
        """Class index of every categorical factor (the identity metric's targets)."""
        return {
            name: values.index(getattr(self, name)) for name, values in CATEGORICAL_FACTORS.items()
        }

    def continuous_values(self) -> list[float]:
        """Continuous factors in ``CONTINUOUS_FACTORS`` order."""
        return [float(getattr(self, name)) for name in CONTINUOUS_FACTORS]

    def to_dict(self) -> dict[str, str | float]:
        """JSON-ready dictionary of all factors."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, str | float]) -> IdentityFactors:
        """Inverse of ``to_dict``."""
        return cls(**{f.name: data[f.name] for f in fields(cls)})  # type: ignore[arg-type]


def sample_identity(rng: np.random.Generator) -> IdentityFactors:
    """Draw a random identity; every factor is independent."""
    categorical: dict[str, str] = {}
    for name, values in CATEGORICAL_FACTORS.items():
        weights = _CATEGORICAL_WEIGHTS.get(name)
        categorical[name] = values[int(rng.choice(len(values), p=weights))]
    continuous = {name: round(float(rng.uniform(0.0, 1.0)), 4) for name in CONTINUOUS_FACTORS}
    return IdentityFactors(**categorical, **continuous)  # type: ignore[arg-type]


# Separate stream ids keep identity and nuisance draws independent for the same seed.
_IDENTITY_STREAM = 0x1D
_NUISANCE_STREAM = 0x2E


def identity_from_seed(seed: int) -> IdentityFactors:
    """The identity with this seed (same seed, same identity, on every machine)."""
    return sample_identity(np.random.default_rng([_IDENTITY_STREAM, seed]))


# --- nuisance (context) ----------------------------------------------------------------------

BACKGROUNDS: dict[str, RGB] = {
    "red": (200, 40, 40),
    "green": (40, 160, 60),
    "blue": (40, 80, 205),
    "yellow": (235, 205, 40),
    "purple": (130, 50, 170),
    "gray": (128, 128, 128),
    "white": (246, 246, 246),
    "black": (16, 16, 16),
}
"""Named background colours a prompt can request."""

LIGHTINGS: tuple[str, ...] = ("bright", "dim", "warm", "cool")
"""Named lighting conditions a prompt can request."""

STYLES: tuple[str, ...] = ("photo", "sketch", "pop-art", "cartoon")
"""Drawing styles a prompt can request."""

_STYLE_PHRASES: dict[str, str] = {
    "photo": "a photo of",
    "sketch": "a sketch of",
    "pop-art": "a pop-art portrait of",
    "cartoon": "a cartoon drawing of",
}
# Per-channel gain applied to the person (never the backdrop, so the backdrop stays readable).
_LIGHTING_GAINS: dict[str, tuple[float, float, float]] = {
    "bright": (1.18, 1.18, 1.18),
    "dim": (0.62, 0.62, 0.62),
    "warm": (1.12, 0.96, 0.76),
    "cool": (0.84, 0.96, 1.14),
}


@dataclass(frozen=True)
class NuisanceFactors:
    """How one picture of a face was taken; independent of who it shows."""

    rotation_deg: float
    shift_x: float
    shift_y: float
    scale: float
    light_direction_deg: float
    light_strength: float
    background: str
    lighting: str
    style: str

    def __post_init__(self) -> None:
        if self.background not in BACKGROUNDS:
            raise ValueError(f"background={self.background!r} is not one of {tuple(BACKGROUNDS)}")
        if self.lighting not in LIGHTINGS:
            raise ValueError(f"lighting={self.lighting!r} is not one of {LIGHTINGS}")
        if self.style not in STYLES:
            raise ValueError(f"style={self.style!r} is not one of {STYLES}")

    def to_dict(self) -> dict[str, str | float]:
        """JSON-ready dictionary of all factors."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, str | float]) -> NuisanceFactors:
        """Inverse of ``to_dict``."""
        return cls(**{f.name: data[f.name] for f in fields(cls)})  # type: ignore[arg-type]


def sample_nuisance(
    rng: np.random.Generator,
    *,
    background: str | None = None,
    lighting: str | None = None,
    style: str | None = None,
) -> NuisanceFactors:
    """Draw random picture conditions; pass a name to fix that context factor."""
    return NuisanceFactors(
        rotation_deg=round(float(rng.uniform(-8.0, 8.0)), 3),
        shift_x=round(float(rng.uniform(-0.03, 0.03)), 4),
        shift_y=round(float(rng.uniform(-0.03, 0.03)), 4),
        scale=round(float(rng.uniform(0.92, 1.08)), 4),
        light_direction_deg=round(float(rng.uniform(0.0, 360.0)), 2),
        light_strength=round(float(rng.uniform(0.0, 0.35)), 4),
        background=background or str(rng.choice(list(BACKGROUNDS))),
        lighting=lighting or str(rng.choice(LIGHTINGS)),
        style=style or str(rng.choice(STYLES)),
    )


def nuisance_from_seed(seed: int, **fixed: str) -> NuisanceFactors:
    """The picture conditions with this seed; keyword arguments fix context factors."""
    return sample_nuisance(np.random.default_rng([_NUISANCE_STREAM, seed]), **fixed)


def caption(nuisance: NuisanceFactors, placeholder: str = "{concept}") -> str:
    """Prompt naming the picture's context, e.g. "a sketch of {concept}, blue background,
    warm lighting". Pass ``placeholder="a face"`` for the plain class-word caption."""
    return (
        f"{_STYLE_PHRASES[nuisance.style]} {placeholder}, "
        f"{nuisance.background} background, {nuisance.lighting} lighting"
    )


def class_caption(nuisance: NuisanceFactors, class_phrase: str = "a face") -> str:
    """The caption with the class word instead of a concept placeholder."""
    return caption(nuisance, placeholder=class_phrase)


# --- drawing ---------------------------------------------------------------------------------

_SUPERSAMPLE = 3


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _shade(colour: RGB, factor: float) -> RGB:
    return (
        min(255, round(colour[0] * factor)),
        min(255, round(colour[1] * factor)),
        min(255, round(colour[2] * factor)),
    )


def skin_colour(tone: float) -> RGB:
    """Skin colour for a ``skin_tone`` amount in [0, 1] (light to deep)."""
    position = tone * (len(_SKIN_ANCHORS) - 1)
    low = min(int(position), len(_SKIN_ANCHORS) - 2)
    return _mix(_SKIN_ANCHORS[low], _SKIN_ANCHORS[low + 1], position - low)


class _Canvas:
    """Draws colour and a part-label map together; the label map gives outlines and the mask."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.colour = Image.new("RGB", (size, size), (0, 0, 0))
        self.labels = Image.new("L", (size, size), 0)
        self._colour_draw = ImageDraw.Draw(self.colour)
        self._label_draw = ImageDraw.Draw(self.labels)
        self._next_label = 1

    def _px(self, points: Sequence[Point]) -> list[tuple[float, float]]:
        return [(x * self.size, y * self.size) for x, y in points]

    def _label(self) -> int:
        label = self._next_label
        self._next_label = min(255, self._next_label + 1)
        return label

    def ellipse(self, centre: Point, radii: Point, colour: RGB) -> None:
        (x0, y0), (x1, y1) = self._px(
            [
                (centre[0] - radii[0], centre[1] - radii[1]),
                (centre[0] + radii[0], centre[1] + radii[1]),
            ]
        )
        box = (x0, y0, x1, y1)
        self._colour_draw.ellipse(box, fill=colour)
        self._label_draw.ellipse(box, fill=self._label())

    def polygon(self, points: Sequence[Point], colour: RGB) -> None:
        pixels = self._px(points)
        self._colour_draw.polygon(pixels, fill=colour)
        self._label_draw.polygon(pixels, fill=self._label())

    def line(self, points: Sequence[Point], colour: RGB, width: float) -> None:
        pixels = self._px(points)
        px_width = max(1, round(width * self.size))
        self._colour_draw.line(pixels, fill=colour, width=px_width, joint="curve")
        self._label_draw.line(pixels, fill=self._label(), width=px_width, joint="curve")

    def rectangle_outline(self, centre: Point, radii: Point, colour: RGB, width: float) -> None:
        cx, cy = centre
        rx, ry = radii
        corners = [(cx - rx, cy - ry), (cx + rx, cy - ry), (cx + rx, cy + ry), (cx - rx, cy + ry)]
        self.line([*corners, corners[0]], colour, width)

    def ellipse_outline(self, centre: Point, radii: Point, colour: RGB, width: float) -> None:
        points = [
            (centre[0] + radii[0] * math.cos(t), centre[1] + radii[1] * math.sin(t))
            for t in np.linspace(0.0, 2.0 * math.pi, 33)
        ]
        self.line(points, colour, width)


@dataclass(frozen=True)
class _Layout:
    """Where the parts of one face go, in canvas units (0..1)."""

    cx: float
    cy: float
    half_width: float
    half_height: float
    eye_y: float
    eye_dx: float
    eye_rx: float
    brow_y: float
    nose_y: float
    mouth_y: float


def _layout(identity: IdentityFactors) -> _Layout:
    cx, cy, half_height = 0.5, 0.52, 0.27
    half_width = half_height * (0.66 + 0.2 * identity.face_width)
    eye_y = cy - 0.05 * half_height
    eye_rx = half_width * (0.2 + 0.1 * identity.eye_size)
    return _Layout(
        cx=cx,
        cy=cy,
        half_width=half_width,
        half_height=half_height,
        eye_y=eye_y,
        eye_dx=half_width * (0.36 + 0.16 * identity.eye_spacing),
        eye_rx=eye_rx,
        brow_y=eye_y - eye_rx * 0.9 - 0.1 * half_height,
        nose_y=cy + 0.3 * half_height,
        mouth_y=cy + 0.58 * half_height,
    )


def _face_outline(identity: IdentityFactors, lay: _Layout, grow: float = 1.0) -> list[Point]:
    """Head outline: an ellipse on top; the jaw decides the lower half."""
    squareness = {"round": 2.0, "square": 3.6, "pointed": 2.0, "oval": 2.0}[identity.jaw]
    taper = {"round": 0.0, "square": 0.05, "pointed": 0.45, "oval": 0.22}[identity.jaw]
    stretch = {"round": 0.94, "square": 0.97, "pointed": 1.04, "oval": 1.06}[identity.jaw]
    points: list[Point] = []
    for t in np.linspace(0.0, 2.0 * math.pi, 72, endpoint=False):
        c, s = math.cos(t), math.sin(t)
        if s > 0:  # lower half (image y grows downwards)
            exponent = 2.0 / squareness
            x = math.copysign(abs(c) ** exponent, c) * (1.0 - taper * s**2)
            y = math.copysign(abs(s) ** exponent, s) * stretch
        else:
            x, y = c, s
        points.append((lay.cx + x * lay.half_width * grow, lay.cy + y * lay.half_height * grow))
    return points


def _draw_hair_back(canvas: _Canvas, identity: IdentityFactors, lay: _Layout, hair: RGB) -> None:
    w, h = lay.half_width, lay.half_height
    if identity.hair_style == "long":
        canvas.polygon(
            [
                (lay.cx - 1.12 * w, lay.cy - 0.5 * h),
                (lay.cx - 1.32 * w, lay.cy + 1.05 * h),
                (lay.cx - 0.9 * w, lay.cy + 1.22 * h),
                (lay.cx + 0.9 * w, lay.cy + 1.22 * h),
                (lay.cx + 1.32 * w, lay.cy + 1.05 * h),
                (lay.cx + 1.12 * w, lay.cy - 0.5 * h),
            ],
            hair,
        )
    elif identity.hair_style == "bun":
        canvas.ellipse((lay.cx, lay.cy - 1.18 * h), (0.42 * w, 0.3 * h), _shade(hair, 0.9))


def _draw_hair_front(canvas: _Canvas, identity: IdentityFactors, lay: _Layout, hair: RGB) -> None:
    style = identity.hair_style
    if style == "bald":
        return
    w, h = lay.half_width, lay.half_height
    top = [
        (lay.cx + 1.1 * w * math.cos(t), lay.cy - 0.04 * h + 1.1 * h * math.sin(t))
        for t in np.linspace(math.pi, 2.0 * math.pi, 25)
    ]
    if style == "bangs":
        # A jagged fringe that reaches down to the brows.
        fringe_y = lay.brow_y - 0.08 * h
        xs = np.linspace(lay.cx + 1.05 * w, lay.cx - 1.05 * w, 11)
        inner = [
            (
                float(x),
                fringe_y + (0.07 * h if i % 2 else 0.0) + (0.25 * h if i in (0, 10) else 0.0),
            )
            for i, x in enumerate(xs)
        ]
    else:
        middle = lay.cy - (0.7 if style == "curly" else 0.62) * h
        side = lay.cy - 0.2 * h
        inner = [
            (lay.cx + 0.98 * w * math.cos(t), side + (side - middle) * math.sin(t))
            for t in np.linspace(2.0 * math.pi, math.pi, 25)
        ]
    canvas.polygon(top + inner, hair)
    if style == "curly":
        for t in np.linspace(math.pi * 0.95, math.pi * 2.05, 13):
            canvas.ellipse(
                (lay.cx + 1.1 * w * math.cos(t), lay.cy - 0.05 * h + 1.1 * h * math.sin(t)),
                (0.24 * w, 0.2 * h),
                _shade(hair, 0.92 if int(t * 10) % 2 else 1.0),
            )


def _draw_eyes(canvas: _Canvas, identity: IdentityFactors, lay: _Layout, skin: RGB) -> None:
    aspect = {"round": 0.85, "almond": 0.58, "narrow": 0.36}[identity.eye_shape]
    rx = lay.eye_rx
    ry = rx * aspect
    iris_r = min(ry * 0.95, rx * 0.58)
    iris = EYE_COLOURS[identity.eye_colour]
    for side in (-1.0, 1.0):
        ex = lay.cx + side * lay.eye_dx
        canvas.ellipse((ex, lay.eye_y), (rx * 1.08, ry * 1.15), _shade(skin, 0.82))
        canvas.ellipse((ex, lay.eye_y), (rx, ry), (242, 242, 236))
        canvas.ellipse((ex, lay.eye_y), (iris_r, iris_r), iris)
        canvas.ellipse((ex, lay.eye_y), (iris_r * 0.45, iris_r * 0.45), (12, 10, 10))
        lid = [
            (ex + rx * math.cos(t), lay.eye_y + ry * math.sin(t))
            for t in np.linspace(math.pi * 1.05, math.pi * 1.95, 9)
        ]
        canvas.line(lid, (40, 28, 26), 0.008)


def _draw_brows(canvas: _Canvas, identity: IdentityFactors, lay: _Layout, hair: RGB) -> None:
    tilt = (identity.brow_angle - 0.5) * 0.3 * lay.half_height
    thickness = lay.half_height * (0.05 + 0.09 * identity.brow_thickness)
    colour = _shade(hair, 0.8)
    for side in (-1.0, 1.0):
        ex = lay.cx + side * lay.eye_dx
        inner = (ex - side * lay.eye_rx * 0.9, lay.brow_y + tilt)
        peak = (ex + side * lay.eye_rx * 0.2, lay.brow_y - 0.04 * lay.half_height)
        outer = (ex + side * lay.eye_rx * 1.15, lay.brow_y - tilt * 0.6)
        canvas.line([inner, peak, outer], colour, thickness)


def _draw_nose(canvas: _Canvas, identity: IdentityFactors, lay: _Layout, skin: RGB) -> None:
    size = 0.7 + 0.6 * identity.nose_size
    w, h = lay.half_width * size, lay.half_height * size
    shadow = _shade(skin, 0.72)
    nostril = _shade(skin, 0.5)
    x, y = lay.cx, lay.nose_y
    if identity.nose_shape == "button":
        canvas.ellipse((x, y), (0.12 * w, 0.09 * h), _shade(skin, 0.88))
        nostril_dx = 0.09 * w
    elif identity.nose_shape == "straight":
        canvas.line([(x + 0.02 * w, lay.eye_y + 0.12 * h), (x + 0.07 * w, y)], shadow, 0.01)
        canvas.line([(x - 0.1 * w, y + 0.03 * h), (x + 0.1 * w, y + 0.03 * h)], shadow, 0.009)
        nostril_dx = 0.08 * w
    else:  # wide
        canvas.ellipse((x, y), (0.22 * w, 0.08 * h), _shade(skin, 0.85))
        nostril_dx = 0.15 * w
    for side in (-1.0, 1.0):
        canvas.ellipse((x + side * nostril_dx, y + 0.04 * h), (0.035 * w, 0.025 * h), nostril)


def _draw_mouth(canvas: _Canvas, identity: IdentityFactors, lay: _Layout, skin: RGB) -> None:
    half = lay.half_width * (0.22 + 0.22 * identity.mouth_width)
    h = lay.half_height
    lips = _mix(skin, (175, 55, 70), 0.6)
    x, y = lay.cx, lay.mouth_y
    if identity.mouth_shape == "neutral":
        canvas.line([(x - half, y), (x + half, y)], _shade(lips, 0.75), 0.014)
    elif identity.mouth_shape == "smile":
        arc = [
            (x + half * math.cos(t), y - 0.04 * h + 0.14 * h * math.sin(t))
            for t in np.linspace(0.0, math.pi, 13)
        ]
        canvas.polygon(arc, (95, 30, 38))
        canvas.line(
            [(x - half * 0.8, y - 0.01 * h), (x + half * 0.8, y - 0.01 * h)], (240, 236, 228), 0.01
        )
    else:  # full lips
        canvas.ellipse((x, y - 0.035 * h), (half, 0.06 * h), lips)
        canvas.ellipse((x, y + 0.045 * h), (half * 0.85, 0.075 * h), _shade(lips, 1.08))
        canvas.line([(x - half, y), (x + half, y)], _shade(lips, 0.6), 0.006)


def _draw_beard(
    canvas: _Canvas, identity: IdentityFactors, lay: _Layout, skin: RGB, hair: RGB
) -> None:
    outline = _face_outline(identity, lay)
    jaw = [(x, y) for x, y in outline if y > lay.nose_y + 0.05 * lay.half_height]
    # Outline points run clockwise from the right cheek, so close along the upper edge.
    if identity.beard == "stubble":
        canvas.polygon(jaw, _mix(skin, hair, 0.3))
    elif identity.beard == "full":
        grown = [
            (x, y + 0.06 * lay.half_height)
            for x, y in _face_outline(identity, lay, grow=1.03)
            if y > lay.nose_y
        ]
        canvas.polygon(grown, hair)
    if identity.beard in ("moustache", "full"):
        h = lay.half_height
        canvas.polygon(
            [
                (lay.cx - 0.42 * lay.half_width, lay.mouth_y - 0.02 * h),
                (lay.cx - 0.3 * lay.half_width, lay.nose_y + 0.12 * h),
                (lay.cx + 0.3 * lay.half_width, lay.nose_y + 0.12 * h),
                (lay.cx + 0.42 * lay.half_width, lay.mouth_y - 0.02 * h),
                (lay.cx, lay.mouth_y - 0.09 * h),
            ],
            _shade(hair, 0.9),
        )


# Fixed cheek positions (in units of the face's half-width/height) for freckled faces.
_FRECKLES: tuple[Point, ...] = tuple(
    (float(side * x), float(y))
    for side in (-1, 1)
    for x, y in np.random.default_rng(7).uniform((0.25, 0.1), (0.75, 0.35), size=(7, 2))
)


def _draw_person(canvas: _Canvas, identity: IdentityFactors) -> None:
    lay = _layout(identity)
    skin = skin_colour(identity.skin_tone)
    hair = HAIR_COLOURS[identity.hair_colour]
    w, h = lay.half_width, lay.half_height

    _draw_hair_back(canvas, identity, lay, hair)
    canvas.polygon(
        [
            (lay.cx - 0.45 * w, lay.cy),
            (lay.cx + 0.45 * w, lay.cy),
            (lay.cx + 0.5 * w, 1.05),
            (lay.cx - 0.5 * w, 1.05),
        ],
        _shade(skin, 0.86),
    )
    for side in (-1.0, 1.0):
        ear = (lay.cx + side * 0.98 * w, lay.eye_y + 0.12 * h)
        canvas.ellipse(ear, (0.15 * w, 0.22 * h), _shade(skin, 0.93))
        if identity.earrings == "yes":
            canvas.ellipse((ear[0], ear[1] + 0.26 * h), (0.07 * w, 0.07 * w), (226, 184, 52))
    canvas.polygon(_face_outline(identity, lay), skin)
    if identity.freckles == "yes":
        for fx, fy in _FRECKLES:
            canvas.ellipse(
                (lay.cx + fx * w, lay.eye_y + fy * h), (0.035 * w, 0.035 * w), _shade(skin, 0.62)
            )
    _draw_beard(canvas, identity, lay, skin, hair)
    _draw_nose(canvas, identity, lay, skin)
    _draw_mouth(canvas, identity, lay, skin)
    _draw_eyes(canvas, identity, lay, skin)
    _draw_brows(canvas, identity, lay, hair)
    _draw_hair_front(canvas, identity, lay, hair)
    if identity.glasses != "none":
        frame = (28, 28, 32)
        radii = (lay.eye_rx * 1.35, lay.eye_rx * 1.05)
        for side in (-1.0, 1.0):
            centre = (lay.cx + side * lay.eye_dx, lay.eye_y)
            if identity.glasses == "round":
                canvas.ellipse_outline(centre, radii, frame, 0.012)
            else:
                canvas.rectangle_outline(centre, radii, frame, 0.012)
        inner = lay.eye_dx - radii[0]
        canvas.line([(lay.cx - inner, lay.eye_y), (lay.cx + inner, lay.eye_y)], frame, 0.012)


# --- pose, style, lighting -------------------------------------------------------------------


def _pose(image: Image.Image, nuisance: NuisanceFactors, resample: Image.Resampling) -> Image.Image:
    """Rotate, scale and shift about the face centre (output pixel -> source pixel mapping)."""
    size = image.size[0]
    centre = 0.52 * size
    theta = math.radians(nuisance.rotation_deg)
    cos_t, sin_t = math.cos(theta) / nuisance.scale, math.sin(theta) / nuisance.scale
    tx, ty = centre + nuisance.shift_x * size, centre + nuisance.shift_y * size
    coefficients = (
        cos_t,
        sin_t,
        centre - cos_t * tx - sin_t * ty,
        -sin_t,
        cos_t,
        centre + sin_t * tx - cos_t * ty,
    )
    return image.transform(image.size, Image.Transform.AFFINE, coefficients, resample=resample)


def _outlines(labels: Image.Image, width: int) -> np.ndarray:
    """Boolean map of borders between drawn parts, about ``width`` pixels wide."""
    lab = np.asarray(labels)
    edges = np.zeros(lab.shape, dtype=bool)
    # Comparing with neighbours up to ``width`` away both finds and thickens the borders.
    for offset in range(1, width + 1):
        differs_down = lab[offset:, :] != lab[:-offset, :]
        differs_right = lab[:, offset:] != lab[:, :-offset]
        edges[offset:, :] |= differs_down
        edges[:, offset:] |= differs_right
    return edges


def _stylize(colour: Image.Image, labels: Image.Image, style: str) -> np.ndarray:
    """The person's pixels in the requested drawing style, as float RGB."""
    if style == "photo":
        soft = np.asarray(colour.filter(ImageFilter.GaussianBlur(colour.size[0] / 170)), np.float32)
        # Darken towards the silhouette so the head reads as rounded.
        mask = Image.fromarray((np.asarray(labels) > 0).astype(np.uint8) * 255)
        depth = np.asarray(mask.filter(ImageFilter.GaussianBlur(colour.size[0] / 20)), np.float32)
        return soft * (0.72 + 0.28 * depth[..., None] / 255.0)
    scale = colour.size[0] / 256
    if style == "sketch":
        tint = np.asarray(colour, np.float32)
        paper = 236.0 * 0.68 + tint * 0.32
        luminance = np.asarray(ImageOps.grayscale(colour), np.float32)[..., None]
        shading = 0.8 + 0.2 * luminance / 255.0
        drawn = paper * shading
        drawn[_outlines(labels, max(1, round(3 * scale)))] = (58.0, 54.0, 52.0)
        return drawn
    if style == "pop-art":
        vivid = ImageOps.posterize(ImageEnhance.Color(colour).enhance(1.9), 2)
        drawn = np.asarray(vivid, np.float32).copy()
        drawn[_outlines(labels, max(1, round(6 * scale)))] = (10.0, 10.0, 10.0)
        return drawn
    drawn = np.asarray(colour, np.float32).copy()  # cartoon: flat colours, thin ink lines
    drawn[_outlines(labels, max(1, round(3 * scale)))] = (20.0, 18.0, 18.0)
    return drawn


@functools.lru_cache(maxsize=4)
def _centred_grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) / size - 0.5
    return xs, ys


def _light(person: np.ndarray, nuisance: NuisanceFactors) -> np.ndarray:
    xs, ys = _centred_grid(person.shape[0])
    angle = math.radians(nuisance.light_direction_deg)
    gradient = 1.0 + nuisance.light_strength * 2.0 * (xs * math.cos(angle) + ys * math.sin(angle))
    gains = np.asarray(_LIGHTING_GAINS[nuisance.lighting], np.float32)
    return person * (gradient[..., None] * gains)


def render(
    identity: IdentityFactors, nuisance: NuisanceFactors, size: int = 64
) -> tuple[Image.Image, Image.Image]:
    """Draw one face picture.

    Args:
        identity: who the face is.
        nuisance: pose, lighting, background and style of this picture.
        size: output width and height in pixels.

    Returns:
        The RGB image and the soft mask (mode ``L``) of the person: skin, features, hair and
        neck are 255, the backdrop is 0.
    """
    if size < 16:
        raise ValueError(f"size must be at least 16, got {size}")
    canvas = _Canvas(size * _SUPERSAMPLE)
    _draw_person(canvas, identity)
    colour = _pose(canvas.colour, nuisance, Image.Resampling.BILINEAR)
    labels = _pose(canvas.labels, nuisance, Image.Resampling.NEAREST)

    person = _light(_stylize(colour, labels, nuisance.style), nuisance)
    inside = (np.asarray(labels) > 0)[..., None]
    backdrop = np.asarray(BACKGROUNDS[nuisance.background], np.float32)
    pixels = np.where(inside, person, backdrop)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    mask = Image.fromarray(inside[..., 0].astype(np.uint8) * 255)
    return (
        image.resize((size, size), Image.Resampling.LANCZOS),
        mask.resize((size, size), Image.Resampling.BOX),
    )
