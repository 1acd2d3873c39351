// Reading and writing the spiffworkflow extension elements of a BPMN element.
//
// Every write goes through the command stack ('properties-panel.multi-command-executor', a list of
// 'element.updateModdleProperties' commands) so one change is one undo step. Clearing a value removes its
// element: an empty spiffworkflow:properties goes too, and so does an empty bpmn:extensionElements.

import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

export const PROPERTIES = 'spiffworkflow:Properties';
export const PROPERTY = 'spiffworkflow:Property';
export const OPERATOR = 'spiffworkflow:ServiceTaskOperator';
export const PARAMETERS = 'spiffworkflow:Parameters';
export const PARAMETER = 'spiffworkflow:Parameter';
export const PAYLOAD = 'spiffworkflow:MessagePayload';

export function isEmpty(value) {
  return value === undefined || value === null || value === '';
}

/** The extension elements of a moddle element that have the given type. */
export function getExtensions(moddleElement, type) {
  const extensionElements = moddleElement && moddleElement.get('extensionElements');
  const values = (extensionElements && extensionElements.get('values')) || [];
  return values.filter((value) => is(value, type));
}

export function getExtension(moddleElement, type) {
  return getExtensions(moddleElement, type)[0];
}

/** The spiffworkflow:property of that name (the first, should there be several). */
export function getProperty(element, name) {
  const businessObject = getBusinessObject(element);
  for (const properties of getExtensions(businessObject, PROPERTIES)) {
    const found = (properties.get('properties') || []).find((property) => property.get('name') === name);
    if (found) {
      return found;
    }
  }
  return undefined;
}

export function getPropertyValue(element, name) {
  const property = getProperty(element, name);
  const value = property && property.get('value');
  return isEmpty(value) ? '' : value;
}

function update(element, moddleElement, properties) {
  return { cmd: 'element.updateModdleProperties', context: { element, moddleElement, properties } };
}

/**
 * Commands that add `extension` to the extension elements of `moddleElement` (creating bpmn:extensionElements
 * when it has none).
 */
export function addExtensionCommands(element, moddleElement, extension, bpmnFactory) {
  const commands = [];
  let extensionElements = moddleElement.get('extensionElements');
  if (!extensionElements) {
    extensionElements = bpmnFactory.create('bpmn:ExtensionElements', { values: [] });
    extensionElements.$parent = moddleElement;
    commands.push(update(element, moddleElement, { extensionElements }));
  }
  extension.$parent = extensionElements;
  commands.push(update(element, extensionElements, {
    values: [ ...(extensionElements.get('values') || []), extension ]
  }));
  return commands;
}

/**
 * Commands that remove `extension` from the extension elements of `moddleElement`, and the
 * bpmn:extensionElements with it when nothing else is left in there.
 */
export function removeExtensionCommands(element, moddleElement, extension) {
  const extensionElements = moddleElement.get('extensionElements');
  if (!extensionElements) {
    return [];
  }
  const values = (extensionElements.get('values') || []).filter((value) => value !== extension);
  if (!values.length) {
    return [ update(element, moddleElement, { extensionElements: undefined }) ];
  }
  return [ update(element, extensionElements, { values }) ];
}

/**
 * Commands that give the spiffworkflow:property `name` the value `value`, creating it (and its
 * spiffworkflow:properties) when missing, removing it (and an emptied spiffworkflow:properties) when the value is
 * empty. No commands when nothing changes.
 */
export function setPropertyCommands(element, name, value, bpmnFactory) {
  const businessObject = getBusinessObject(element);
  const property = getProperty(element, name);

  if (isEmpty(value)) {
    if (!property) {
      return [];
    }
    const properties = property.$parent;
    const remaining = properties.get('properties').filter((other) => other !== property);
    if (remaining.length) {
      return [ update(element, properties, { properties: remaining }) ];
    }
    return removeExtensionCommands(element, businessObject, properties);
  }

  if (property) {
    return property.get('value') === value ? [] : [ update(element, property, { value }) ];
  }

  const created = bpmnFactory.create(PROPERTY, { name, value });
  const properties = getExtension(businessObject, PROPERTIES);
  if (properties) {
    created.$parent = properties;
    return [ update(element, properties, { properties: [ ...(properties.get('properties') || []), created ] }) ];
  }
  const newProperties = bpmnFactory.create(PROPERTIES, { properties: [ created ] });
  created.$parent = newProperties;
  return addExtensionCommands(element, businessObject, newProperties, bpmnFactory);
}

/** Run a list of commands as one undoable step (nothing when the list is empty). */
export function execute(commandStack, commands) {
  if (commands.length) {
    commandStack.execute('properties-panel.multi-command-executor', commands);
  }
}

/**
 * Set several spiffworkflow:properties of one element as one undo step (values: {name: value}; an empty value
 * removes the property). Runs 'carbonflow.updateProperties' (see commands.js), which applies one property after
 * the other against the model as the previous one left it.
 */
export function setProperties(element, values, commandStack) {
  commandStack.execute('carbonflow.updateProperties', { element, values });
}
