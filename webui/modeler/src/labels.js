// Every string of the CarbonFlow panel, by key, with its English default. The page passes `labels` (translated by
// the server); a key it leaves out falls back to the default here. `{name}` placeholders are filled in.
//
// The same `labels` object also translates the built-in strings of bpmn-js, diagram-js and the properties panel:
// there the key is the English source string itself (see translate.js).

export const DEFAULT_LABELS = {
  'group.carbonflow': 'CarbonFlow',
  'select.none': '(none)',
  'select.unknown': '{value} (not in the catalogue)',
  'multi.filter': 'Filter…',
  'multi.items': 'items: {items}',
  'name.invalid': 'A name of letters, digits and underscores, starting with a letter.',
  'id.taken': '{value} is already the id of another element.',

  // lanes
  'role': 'Role',
  'role.description': 'The lane is named by the id of the role whose holders do its tasks.',

  // user tasks and start events
  'formKey': 'Form',
  'formKey.description': 'The form the step shows (forms/<process>.py).',
  'titleEn': 'English title',
  'titleEn.description': 'The name of the element is its Chinese title.',
  'clauses': 'Guideline clauses',
  'clauses.description': 'Clause numbers separated by commas, each with an optional item letter (6.1.3b). Tick a clause to add or remove it.',
  'dueIn': 'Due in',
  'dueIn.description': 'ISO 8601 duration after the task opens, e.g. P14D (14 days), P1M, PT8H.',
  'dueIn.invalid': 'Not an ISO 8601 duration (e.g. P14D).',
  'dueDate': 'Due date',
  'dueDate.description': 'Expression: a process variable holding YYYY-MM-DD; the task is due at the end of that day.',
  'priority': 'Priority',
  'priority.1': '1 – urgent',
  'priority.2': '2 – normal',
  'priority.3': '3 – low',
  'priority.description': 'Default: 2.',
  'candidateUser': 'Candidate user',
  'candidateUser.description': 'Expression: the username the task belongs to (e.g. the owner named in a form).',
  'candidateDepartment': 'Candidate department',
  'candidateDepartment.description': 'Expression: only members of this department who hold the lane’s role.',
  'departmentOfUser': 'Department of user',
  'departmentOfUser.description': 'Expression: only members of this user’s department who hold the lane’s role.',
  'excludeDepartment': 'Excluded department',
  'excludeDepartment.description': 'Expression: members of this department may not do the task.',
  'evidenceRequired': 'Evidence required',
  'evidenceRequired.description': 'Completing the task needs at least one evidence file.',
  'notCompletedBy': 'Not completed by',
  'notCompletedBy.description': 'Task ids separated by commas: whoever completed them may not do this task.',
  'signature': 'Electronic signature required',
  'signature.description': 'Completing the task needs the person’s password again; the audit trail keeps the signature.',
  'signatureMeaning': 'Signature meaning',
  'signatureMeaning.description': 'A short English phrase, e.g. approval, review, responsibility (default: approval).',
  'prefill': 'Prefill the form',
  'prefill.description': 'The form starts from what the instance holds under its field names.',
  'context': 'Context steps',
  'context.description': 'Ids of start events and user tasks shown above the form, separated by commas (empty: every earlier step).',
  'startRoles': 'Roles that may start it',
  'startRoles.description': 'None ticked: any active user.',
  'instanceTitle': 'Instance title',
  'instanceTitle.description': 'Expression over the data of the started instance, e.g. title.',

  // scripts, conditions, service tasks, messages
  'script': 'Script (Python)',
  'condition': 'Condition',
  'query': 'Query',
  'query.description': 'A read-only query of the engine; its answer lands in the result variable.',
  'resultVariable': 'Result variable',
  'parameter': 'Parameter {name}',
  'parameter.unknown': 'Parameter {name} (not taken by this query)',
  'parameter.description': 'Expression over the task data.',
  'messagePayload': 'Message payload',
  'messagePayload.description': 'Expression: the data the message carries; a list delivers one message per item.',

  // multi-instance tasks
  'loopDataInputRef': 'Input collection',
  'loopDataInputRef.description': 'The list in the process data with one item per child task.',
  'inputDataItem': 'Input item',
  'inputDataItem.description': 'The name each child task sees its item under (not the name of a process variable).',
  'loopDataOutputRef': 'Output collection',
  'loopDataOutputRef.description': 'The list that receives one entry per child task.',
  'outputDataItem': 'Output item',
  'outputDataItem.description': 'The name each child task’s form is stored under.'
};

/** A label function over the page's labels: label(key, {placeholder: value}). */
export function createLabel(labels) {
  const given = labels || {};
  return function label(key, replacements) {
    let text = given[key];
    if (typeof text !== 'string' || !text) {
      text = Object.prototype.hasOwnProperty.call(DEFAULT_LABELS, key) ? DEFAULT_LABELS[key] : key;
    }
    return fill(text, replacements);
  };
}

export function fill(text, replacements) {
  if (!replacements) {
    return text;
  }
  return text.replace(/{([^}]+)}/g, (match, name) => (
    Object.prototype.hasOwnProperty.call(replacements, name) ? String(replacements[name]) : match
  ));
}
