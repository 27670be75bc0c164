"""Building profiles (楼宇画像): the texts a building is presented with, and its photos.

A profile is one row per building, written when someone first edits it; the building's 特色定位
stays on the building itself (``Building.positioning``), where the list, the matching and the
import already read it. A photo is stored on disk under the instance folder by the SHA-256 of its
re-encoded bytes (``crm.space.photos``): the row keeps the hash and the order, never a path a
user chose.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db

MAX_PHOTOS = 6


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class BuildingProfile(db.Model):
    __tablename__ = "building_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), unique=True)
    description: Mapped[str | None] = mapped_column(Text)  # 楼宇简介
    transit: Mapped[str | None] = mapped_column(Text)  # 地铁/公交
    parking: Mapped[str | None] = mapped_column(Text)  # 停车位
    dining: Mapped[str | None] = mapped_column(Text)  # 餐饮
    property_contact: Mapped[str | None] = mapped_column(String(200))  # 物业联系人及电话
    policies: Mapped[str | None] = mapped_column(Text)  # 适用政策
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    building = relationship("Building")
    updated_by = relationship("User")

    def __repr__(self) -> str:
        return f"<BuildingProfile building={self.building_id}>"


class BuildingPhoto(db.Model):
    __tablename__ = "building_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)  # bytes of the stored JPEG
    position: Mapped[int] = mapped_column(Integer, default=0)  # order on the page; the first is the cover
    caption: Mapped[str | None] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (UniqueConstraint("building_id", "sha256", name="uq_building_photos_building_sha256"),)

    def __repr__(self) -> str:
        return f"<BuildingPhoto building={self.building_id} {self.sha256[:8]}>"
