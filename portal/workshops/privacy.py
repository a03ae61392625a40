"""The workshops' part of a person's data (portal/privacy.py): registrations with their contact details, attendance,
workshops trained. Anonymising keeps registrations and attendance (completion and attendance rates count them) and
clears the contact details stored on the registration."""

from sqlalchemy import update
from sqlmodel import select

from portal.models import WorkshopAttendance, WorkshopParticipant, WorkshopTrainer
from portal.privacy import rows


def personal_data(session, user):
    participant_ids = select(WorkshopParticipant.id).where(WorkshopParticipant.user_id == user.id)
    return {
        "Pendaftaran pelatihan": rows(session, WorkshopParticipant, WorkshopParticipant.user_id == user.id),
        "Kehadiran": rows(session, WorkshopAttendance, WorkshopAttendance.participant_id.in_(participant_ids)),
        "Pelatih di": rows(session, WorkshopTrainer, WorkshopTrainer.user_id == user.id),
    }


def anonymise(session, user):
    participant_ids = select(WorkshopParticipant.id).where(WorkshopParticipant.user_id == user.id)
    session.exec(update(WorkshopParticipant).where(WorkshopParticipant.user_id == user.id)
                 .values(name="", email="", phone="", position=""))
    session.exec(update(WorkshopAttendance).where(WorkshopAttendance.participant_id.in_(participant_ids))
                 .values(note=""))
