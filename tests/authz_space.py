"""Builder for the authorization matrix: a photo of building A (row and file) and an archived
space proposal of the promoter's lead."""

from __future__ import annotations

import io
import os

from flask import current_app
from PIL import Image

from crm.models import BuildingPhoto, Lead, SpaceProposal
from crm.space import photos


def authz_space_world(session, world) -> dict:
    image = io.BytesIO()
    Image.new("RGB", (40, 30), "navy").save(image, "PNG")
    stored = photos.store(os.path.join(current_app.instance_path, "photos"), image.getvalue(), "a.png")
    photo = BuildingPhoto(
        building_id=world["a"].id,
        sha256=stored.sha256,
        width=stored.width,
        height=stored.height,
        size=stored.size,
        position=1,
    )
    lead = session.query(Lead).order_by(Lead.id).first()
    proposal = SpaceProposal(lead_id=lead.id, candidates=[], size=9, pages=1, pdf=b"%PDF-1.4\n")
    session.add_all([photo, proposal])
    session.flush()
    return {"photo": photo.id, "photo_hash": photo.sha256, "proposal": proposal.id}
