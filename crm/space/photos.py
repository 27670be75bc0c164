"""Building photos: checked, re-encoded and stored by content hash.

An upload is refused (with a Chinese message naming the file) unless it is a JPEG, PNG or WebP of
at most 5 MB whose declared size is at most ``MAX_PIXELS``. The declared size is read from the
header before any pixel is decoded, so a decompression bomb — a small PNG declaring 50,000 ×
50,000 pixels — never reaches the decoder. An accepted image is decoded, turned upright by its
EXIF orientation, scaled down to at most 2,000 px on its long side and saved afresh as a JPEG:
the new file carries no EXIF, GPS or other metadata. It is stored as ``<sha256>.jpg`` under the
photo folder; the name comes from its bytes, never from the user.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from crm.services.errors import DomainError

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 2000
# Decoding more than this would cost hundreds of MB of memory; any real photo is far below.
MAX_PIXELS = 40_000_000
FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
JPEG_QUALITY = 85
HASH = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class StoredPhoto:
    sha256: str
    width: int
    height: int
    size: int


def _refuse(name: str, why: str) -> DomainError:
    return DomainError(f"照片「{name}」{why}", field="photo")


def _open_checked(data: bytes, name: str) -> Image.Image:
    """The image, opened (header only) and checked; nothing decoded yet."""
    if not data:
        raise _refuse(name, "是空文件。")
    if len(data) > MAX_BYTES:
        raise _refuse(name, f"超过 5 MB（{len(data) / 1024 / 1024:.1f} MB），请压缩后再上传。")
    try:
        with warnings.catch_warnings():
            # Pillow warns (and past twice its limit refuses) about huge images; we refuse earlier.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(name, "的像素尺寸过大，已拒绝。")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise _refuse(name, "不是有效的 JPEG、PNG 或 WebP 图片。")
    width, height = image.size
    if width <= 0 or height <= 0 or width * height > MAX_PIXELS:
        raise _refuse(name, f"的像素尺寸过大（{width} × {height}），最多 {MAX_PIXELS // 1_000_000} 百万像素。")
    return image


def reencode(data: bytes, name: str) -> tuple[bytes, int, int]:
    """(JPEG bytes without metadata, width, height) of the upload ``data``; DomainError when refused."""
    image = _open_checked(data, name)
    try:
        image.load()
        image = ImageOps.exif_transpose(image)
        if image.mode in ("RGBA", "LA", "P", "PA"):
            image = image.convert("RGBA")
            background = Image.new("RGB", image.size, "white")
            background.paste(image, mask=image.getchannel("A"))
            image = background
        elif image.mode != "RGB":
            image = image.convert("RGB")
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        # A fresh image has no info dict to carry over: no exif=, no icc_profile= — nothing but pixels.
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise _refuse(name, "无法解码，文件可能已损坏。")
    return out.getvalue(), image.width, image.height


def photo_path(folder: str, sha256: str) -> str:
    """Where the photo of hash ``sha256`` lives; a malformed hash never becomes a path."""
    if not HASH.match(sha256 or ""):
        raise ValueError("not a photo hash")
    return os.path.join(folder, sha256[:2], f"{sha256}.jpg")


def store(folder: str, data: bytes, name: str) -> StoredPhoto:
    """Check and re-encode the upload and write it under ``folder``; the same picture twice is one file."""
    jpeg, width, height = reencode(data, name)
    sha256 = hashlib.sha256(jpeg).hexdigest()
    path = photo_path(folder, sha256)
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "wb") as handle:
            handle.write(jpeg)
        os.replace(temporary, path)  # readers never see a half-written file
    return StoredPhoto(sha256, width, height, len(jpeg))
