"""Typed SQLAlchemy models, one module per aggregate."""
from engine.models.audit import AuditChainHead, AuditEvent
from engine.models.base import Base
from engine.models.comments import Comment, SavedFilter
from engine.models.definitions import ProcessDefinition, StartMessage
from engine.models.evidence import Evidence, EvidenceBlob
from engine.models.identity import Department, Membership, Role, User
from engine.models.instances import InstanceStatus, MessageSubscription, ProcessInstance
from engine.models.jobs import Job, JobStatus, Notification
from engine.models.links import InstanceLink
from engine.models.schedules import StartSchedule
from engine.models.sign_ins import PasswordThrottle, SignInSession
from engine.models.tasks import HumanTask, TaskExclusion, TaskStatus
from engine.models.task_counts import OpenTaskCount

__all__ = [
    "Base", "Department", "Membership", "Role", "User", "ProcessDefinition", "StartMessage",
    "InstanceStatus", "MessageSubscription", "ProcessInstance", "HumanTask", "TaskExclusion", "TaskStatus",
    "AuditChainHead", "AuditEvent", "InstanceLink", "Evidence", "EvidenceBlob", "StartSchedule", "Job", "JobStatus", "Notification",
    "PasswordThrottle", "SignInSession", "Comment", "SavedFilter", "OpenTaskCount",
]
