"""What the modeler's pickers offer, from the engine's own lists: roles, forms, clauses, queries, sandbox rules."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

import forms
from engine.people import READ_ONLY_ROLE, ROLES
from engine.read.clauses import clause_map
from engine.read.gathered import PARAMETERS
from webui.i18n import bilingual


def N_(text: str) -> str:  # noqa: N802 - babel's marker for a string translated later
    """Mark a string for the catalogue without translating it here."""
    return text


def modeler_catalog() -> dict[str, Any]:
    """The choices the properties panel offers, in the page's language (the values are what the engine reads)."""
    # The read-only auditor does no task: no lane may name it.
    roles = [{"id": role, "name": bilingual(zh, en)} for role, (zh, en) in ROLES.items() if role != READ_ONLY_ROLE]
    form_list = [{"key": key, "title": bilingual(spec.title_zh, spec.title_en)}
                 for key, spec in sorted(forms.FORMS.items())]
    clauses: dict[str, str] = {}
    for clause in clause_map():
        for number in clause.numbers:
            clauses.setdefault(number, clause.subject)
    return {
        "roles": roles,
        "forms": form_list,
        "clauses": [{"number": n, "title": t} for n, t in clauses.items()],
        "queries": [{"name": name, "parameters": list(params)} for name, params in sorted(PARAMETERS.items())],
        "sandbox": sandbox_rules(),
    }


def sandbox_rules() -> str:
    """The script sandbox's rules, as the script and condition editors state them."""
    return _("Python, run in a sandbox: no imports, no names with underscores, no try/except, no file or network "
             "access. Helpers: today(), add_days(d, n), days_between(a, b), end_of_day(d), decimal(x), "
             "round(x, n). Keep data JSON-like: strings, numbers, booleans, lists, dicts.")


def modeler_labels() -> dict[str, str]:
    """The properties panel's own labels (webui/modeler/src/labels.js) and bpmn-js's built-in strings, translated."""
    labels = {
        "group.carbonflow": _("CarbonFlow"),
        "select.none": _("(none)"),
        "select.unknown": _("{value} (not in the catalogue)"),
        "multi.filter": _("Filter…"),
        "multi.items": _("items: {items}"),
        "name.invalid": _("A name of letters, digits and underscores, starting with a letter."),
        "id.taken": _("{value} is already the id of another element."),
        "role": _("Role"),
        "role.description": _("The lane is named by the id of the role whose holders do its tasks."),
        "formKey": _("Form"),
        "formKey.description": _("The form the step shows (forms/<process>.py)."),
        "titleEn": _("English title"),
        "titleEn.description": _("The name of the element is its Chinese title."),
        "clauses": _("Guideline clauses"),
        "clauses.description": _("Clause numbers separated by commas, each with an optional item letter (6.1.3b). Tick a clause to add or remove it."),
        "dueIn": _("Due in"),
        "dueIn.description": _("ISO 8601 duration after the task opens, e.g. P14D (14 days), P1M, PT8H."),
        "dueIn.invalid": _("Not an ISO 8601 duration (e.g. P14D)."),
        "dueDate": _("Due date"),
        "dueDate.description": _("Expression: a process variable holding YYYY-MM-DD; the task is due at the end of that day."),
        "priority": _("Priority"),
        "priority.1": _("1 – urgent"),
        "priority.2": _("2 – normal"),
        "priority.3": _("3 – low"),
        "priority.description": _("Default: 2."),
        "candidateUser": _("Candidate user"),
        "candidateUser.description": _("Expression: the username the task belongs to (e.g. the owner named in a form)."),
        "candidateDepartment": _("Candidate department"),
        "candidateDepartment.description": _("Expression: only members of this department who hold the lane’s role."),
        "departmentOfUser": _("Department of user"),
        "departmentOfUser.description": _("Expression: only members of this user’s department who hold the lane’s role."),
        "excludeDepartment": _("Excluded department"),
        "excludeDepartment.description": _("Expression: members of this department may not do the task."),
        "evidenceRequired": _("Evidence required"),
        "evidenceRequired.description": _("Completing the task needs at least one evidence file."),
        "notCompletedBy": _("Not completed by"),
        "notCompletedBy.description": _("Task ids separated by commas: whoever completed them may not do this task."),
        "signature": _("Electronic signature required"),
        "signature.description": _("Completing the task needs the person’s password again; the audit trail keeps the signature."),
        "signatureMeaning": _("Signature meaning"),
        "signatureMeaning.description": _("A short English phrase, e.g. approval, review, responsibility (default: approval)."),
        "prefill": _("Prefill the form"),
        "prefill.description": _("The form starts from what the instance holds under its field names."),
        "context": _("Context steps"),
        "context.description": _("Ids of start events and user tasks shown above the form, separated by commas (empty: every earlier step)."),
        "startRoles": _("Roles that may start it"),
        "startRoles.description": _("None ticked: any active user."),
        "instanceTitle": _("Instance title"),
        "instanceTitle.description": _("Expression over the data of the started instance, e.g. title."),
        "script": _("Script (Python)"),
        "condition": _("Condition"),
        "query": _("Query"),
        "query.description": _("A read-only query of the engine; its answer lands in the result variable."),
        "resultVariable": _("Result variable"),
        "parameter": _("Parameter {name}"),
        "parameter.unknown": _("Parameter {name} (not taken by this query)"),
        "parameter.description": _("Expression over the task data."),
        "messagePayload": _("Message payload"),
        "messagePayload.description": _("Expression: the data the message carries; a list delivers one message per item."),
        "loopDataInputRef": _("Input collection"),
        "loopDataInputRef.description": _("The list in the process data with one item per child task."),
        "inputDataItem": _("Input item"),
        "inputDataItem.description": _("The name each child task sees its item under (not the name of a process variable)."),
        "loopDataOutputRef": _("Output collection"),
        "loopDataOutputRef.description": _("The list that receives one entry per child task."),
        "outputDataItem": _("Output item"),
        "outputDataItem.description": _("The name each child task’s form is stored under."),
    }
    # bpmn-js, diagram-js and the properties panel ask for their English strings themselves (src/translate.js).
    builtin = [N_("Activate hand tool"),
               N_("Activate lasso tool"),
               N_("Activate create/remove space tool"),
               N_("Activate global connect tool"),
               N_("Create start event"),
               N_("Create intermediate/boundary event"),
               N_("Create end event"),
               N_("Create gateway"),
               N_("Create task"),
               N_("Create data object reference"),
               N_("Create data store reference"),
               N_("Create expanded sub-process"),
               N_("Create pool/participant"),
               N_("Create group"),
               N_("Append end event"),
               N_("Append gateway"),
               N_("Append task"),
               N_("Append intermediate/boundary event"),
               N_("Append text annotation"),
               N_("Add text annotation"),
               N_("Change element"),
               N_("Change type"),
               N_("Delete"),
               N_("Connect to other element"),
               N_("Connect using sequence/message flow or association"),
               N_("Add lane above"),
               N_("Add lane below"),
               N_("Divide into two lanes"),
               N_("Divide into three lanes"),
               N_("General"),
               N_("Name"),
               N_("ID"),
               N_("Documentation"),
               N_("Element documentation"),
               N_("Process documentation"),
               N_("Executable"),
               N_("Timer"),
               N_("Type"),
               N_("Value"),
               N_("Date"),
               N_("Duration"),
               N_("Cycle"),
               N_("Message"),
               N_("Global message reference"),
               N_("Multi-instance"),
               N_("Loop cardinality"),
               N_("Completion condition"),
               N_("Select an element to edit its properties."),
               N_("Multiple elements are selected. Select a single element to edit its properties."),
               N_("Condition"),
               N_("Conditions"),
               N_("User task"),
               N_("Script task"),
               N_("Service task"),
               N_("Start event"),
               N_("End event"),
               N_("Exclusive gateway"),
               N_("Parallel gateway"),
               N_("Inclusive gateway"),
               N_("Sequence flow"),
               N_("Lane"),
               N_("Process"),
               N_("Participant"),
               N_("Task"),
               N_("Sub-process (collapsed)"),
               N_("Sub-process (expanded)"),
               N_("Message start event"),
               N_("Timer start event"),
               N_("Message intermediate catch event"),
               N_("Timer intermediate catch event"),
               N_("Message intermediate throw event"),
               N_("Message end event"),
               N_("Search in diagram"),
               N_("User Task"),
               N_("Script Task"),
               N_("Service Task"),
               N_("Start Event"),
               N_("End Event"),
               N_("Message Start Event"),
               N_("Timer Start Event"),
               N_("Message End Event"),
               N_("Sequence Flow"),
               N_("Default Flow"),
               N_("Conditional Flow"),
               N_("Exclusive Gateway"),
               N_("Parallel Gateway"),
               N_("Inclusive Gateway"),
               N_("Event-based Gateway"),
               N_("Collaboration"),
               N_("Boundary Event"),
               N_("Timer Boundary Event"),
               N_("Intermediate Throw Event"),
               N_("Message Intermediate Throw Event"),
               N_("Timer Intermediate Catch Event"),
               N_("Message Intermediate Catch Event"),
               N_("Section contains edits"),
               N_("Toggle section"),
               N_("Section contains an error")]
    return {**{key: str(text) for key, text in labels.items()}, **{text: _(text) for text in builtin}}
