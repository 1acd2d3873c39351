// The "CarbonFlow" group of the properties panel: the extension properties the engine reads (processes/README.md),
// per element type. It is added after the base groups of bpmn-js-properties-panel (registered with a lower
// priority, so the base provider has run), right after "General".

import { Group } from '@bpmn-io/properties-panel';
import { getBusinessObject, is, isAny } from 'bpmn-js/lib/util/ModelUtil';

import {
  PropertyText,
  PropertySelect,
  PropertyCheckbox,
  PropertyMultiPick,
  LaneRole,
  ScriptText,
  ConditionText,
  QuerySelect,
  ResultVariable,
  QueryParameter,
  MessagePayload,
  LoopReference,
  LoopItem,
  isEditedAny,
  queryParameters,
  getOperator
} from './entries';

const LOW_PRIORITY = 500;

export default class CarbonFlowPropertiesProvider {
  constructor(propertiesPanel, config) {
    const settings = (config && config.carbonflow) || {};
    this._catalog = normaliseCatalog(settings.catalog);
    this._label = settings.label;
    propertiesPanel.registerProvider(LOW_PRIORITY, this);
  }

  getGroups(element) {
    return (groups) => {
      const entries = this.getEntries(element);
      if (!entries.length) {
        return groups;
      }
      const group = {
        id: 'carbonflow',
        label: this._label('group.carbonflow'),
        entries,
        component: Group,
        shouldOpen: true
      };
      const general = groups.findIndex((other) => other.id === 'general');
      groups.splice(general + 1, 0, group);
      return groups;
    };
  }

  getEntries(element) {
    const catalog = this._catalog;
    const label = this._label;
    const common = { catalog, label };
    const businessObject = getBusinessObject(element);
    const entries = [];

    const text = (name, extra) => entries.push({
      id: `carbonflow-${name}`, component: PropertyText, isEdited: isEditedAny, name, ...common, ...extra
    });
    const select = (name, options, extra) => entries.push({
      id: `carbonflow-${name}`, component: PropertySelect, isEdited: isEditedAny, name, options, ...common, ...extra
    });
    const checkbox = (name, onValue, extra) => entries.push({
      id: `carbonflow-${name}`, component: PropertyCheckbox, isEdited: isEditedAny, name, onValue, ...common, ...extra
    });
    const multi = (name, options, extra) => entries.push({
      id: `carbonflow-${name}`, component: PropertyMultiPick, isEdited: isEditedAny, name, options, ...common, ...extra
    });

    if (is(element, 'bpmn:Lane')) {
      entries.push({ id: 'carbonflow-role', component: LaneRole, isEdited: isEditedAny, ...common });
    }

    if (is(element, 'bpmn:UserTask')) {
      select('formKey', formOptions(catalog));
      text('titleEn');
      multi('clauses', catalog.clauses.map((clause) => ({ value: clause.number, label: clause.title })), { items: true });
      text('dueIn', { validate: validateDuration(label) });
      text('dueDate', { expression: true });
      select('priority', [ '1', '2', '3' ].map((value) => ({ value, label: label(`priority.${value}`) })));
      text('candidateUser', { expression: true });
      text('candidateDepartment', { expression: true });
      text('departmentOfUser', { expression: true });
      text('excludeDepartment', { expression: true });
      checkbox('evidenceRequired', 'true');
      text('notCompletedBy');
      checkbox('signature', 'required', { clears: [ 'signatureMeaning' ] });
      text('signatureMeaning', { showIf: (el) => isSigned(el) });
      checkbox('prefill', 'true');
      text('context');
    }

    if (is(element, 'bpmn:StartEvent') && !isInEventSubProcess(businessObject)) {
      select('formKey', formOptions(catalog));
      multi('startRoles', catalog.roles.map((role) => ({ value: role.id, label: role.name })));
      text('titleEn');
      text('instanceTitle', { expression: true });
    }

    if (is(element, 'bpmn:ScriptTask')) {
      entries.push({ id: 'carbonflow-script', component: ScriptText, isEdited: isEditedAny, ...common });
    }

    if (is(element, 'bpmn:SequenceFlow') && (
      isAny(businessObject.sourceRef, [ 'bpmn:ExclusiveGateway', 'bpmn:InclusiveGateway' ])
      || businessObject.get('conditionExpression'))) {
      entries.push({ id: 'carbonflow-condition', component: ConditionText, isEdited: isEditedAny, ...common });
    }

    if (is(element, 'bpmn:ServiceTask')) {
      entries.push({ id: 'carbonflow-query', component: QuerySelect, isEdited: isEditedAny, ...common });
      const operator = getOperator(businessObject);
      if (operator) {
        entries.push({ id: 'carbonflow-resultVariable', component: ResultVariable, isEdited: isEditedAny, ...common });
        for (const parameter of queryParameters(operator, catalog)) {
          entries.push({
            id: `carbonflow-parameter-${parameter.name}`,
            component: QueryParameter,
            isEdited: isEditedAny,
            parameter,
            ...common
          });
        }
      }
    }

    if (isAny(element, [ 'bpmn:IntermediateThrowEvent', 'bpmn:EndEvent' ]) && messageDefinition(businessObject)) {
      entries.push({
        id: 'carbonflow-messagePayload',
        component: MessagePayload,
        isEdited: isEditedAny,
        eventDefinition: messageDefinition(businessObject),
        ...common
      });
    }

    const loop = isAny(element, [ 'bpmn:Task', 'bpmn:SubProcess', 'bpmn:CallActivity' ])
      && businessObject.get('loopCharacteristics');
    if (loop && is(loop, 'bpmn:MultiInstanceLoopCharacteristics')) {
      for (const property of [ 'loopDataInputRef', 'inputDataItem', 'loopDataOutputRef', 'outputDataItem' ]) {
        entries.push({
          id: `carbonflow-${property}`,
          component: property.endsWith('Ref') ? LoopReference : LoopItem,
          isEdited: isEditedAny,
          property,
          ...common
        });
      }
    }

    return entries.filter((entry) => !entry.showIf || entry.showIf(element));
  }
}

CarbonFlowPropertiesProvider.$inject = [ 'propertiesPanel', 'config' ];

function isSigned(element) {
  const businessObject = getBusinessObject(element);
  const all = [];
  const extensionElements = businessObject.get('extensionElements');
  for (const value of (extensionElements && extensionElements.get('values')) || []) {
    if (is(value, 'spiffworkflow:Properties')) {
      all.push(...(value.get('properties') || []));
    }
  }
  return all.some((property) => (
    (property.get('name') === 'signature' && property.get('value'))
    || (property.get('name') === 'signatureMeaning' && property.get('value'))
  ));
}

function isInEventSubProcess(businessObject) {
  const parent = businessObject.$parent;
  return !!(parent && is(parent, 'bpmn:SubProcess') && parent.get('triggeredByEvent'));
}

function messageDefinition(businessObject) {
  return (businessObject.get('eventDefinitions') || []).find((definition) => is(definition, 'bpmn:MessageEventDefinition'));
}

const DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;

function validateDuration(label) {
  return (value) => (value && !DURATION.test(value.trim()) ? label('dueIn.invalid') : null);
}

/** Forms as select options, grouped by process (the part of the key before the dot) when there are several. */
function formOptions(catalog) {
  const options = catalog.forms.map((form) => ({
    value: form.key,
    label: form.title && form.title !== form.key ? `${form.title} (${form.key})` : form.key
  }));
  const prefixes = [ ...new Set(catalog.forms.map((form) => form.key.split('.')[0])) ];
  if (prefixes.length < 2) {
    return options;
  }
  return prefixes.map((prefix) => ({
    label: prefix,
    children: options.filter((option) => option.value.split('.')[0] === prefix)
  }));
}

function list(value) {
  return Array.isArray(value) ? value : [];
}

function normaliseCatalog(catalog) {
  const given = catalog || {};
  return {
    roles: list(given.roles).filter((role) => role && role.id).map((role) => ({ id: String(role.id), name: role.name || String(role.id) })),
    forms: list(given.forms).filter((form) => form && form.key).map((form) => ({ key: String(form.key), title: form.title || '' })),
    clauses: list(given.clauses).filter((clause) => clause && clause.number).map((clause) => ({
      number: String(clause.number), title: clause.title || ''
    })),
    queries: list(given.queries).filter((query) => query && query.name).map((query) => ({
      name: String(query.name),
      parameters: list(query.parameters).map((parameter) => (typeof parameter === 'string'
        ? { name: parameter }
        : { name: String(parameter.name || parameter.id), type: parameter.type }))
    })),
    sandbox: typeof given.sandbox === 'string' ? given.sandbox : ''
  };
}
