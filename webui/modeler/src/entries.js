// The entries (preact components) of the CarbonFlow group. Each gets from its entry object: element, id, the
// catalog, the label function and what it edits. Writes go through the command stack (undo/redo).

import { jsx, jsxs, Fragment } from '@bpmn-io/properties-panel/preact/jsx-runtime';
import { useState } from '@bpmn-io/properties-panel/preact/hooks';
import { TextFieldEntry, TextAreaEntry, SelectEntry, CheckboxEntry } from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject } from 'bpmn-js/lib/util/ModelUtil';

import {
  OPERATOR, PARAMETERS, PARAMETER, PAYLOAD,
  getExtension, getPropertyValue, setProperties, addExtensionCommands, removeExtensionCommands, execute, isEmpty
} from './extensions';

/** Whether the entry holds a value (drives the "edited" dot of the group). */
export function isEditedAny(node) {
  if (!node) {
    return false;
  }
  return node.type === 'checkbox' ? !!node.checked : !!node.value;
}

function blank(value) {
  return isEmpty(value) || (typeof value === 'string' && !value.trim());
}

function normalised(value) {
  return blank(value) ? '' : value;
}

function withUnknown(options, current, label) {
  const known = [];
  for (const option of options) {
    if (option.children) {
      known.push(...option.children.map((child) => child.value));
    } else {
      known.push(option.value);
    }
  }
  const result = [ { value: '', label: label('select.none') } ];
  if (current && !known.includes(current)) {
    result.push({ value: current, label: label('select.unknown', { value: current }) });
  }
  return result.concat(options);
}

// ---- spiffworkflow:properties ----------------------------------------------------------------------------------

export function PropertyText(props) {
  const { element, id, name, label, validate } = props;
  const commandStack = useService('commandStack');
  const debounce = useService('debounceInput');
  return jsx(TextFieldEntry, {
    element,
    id,
    label: label(name),
    description: label(`${name}.description`),
    getValue: () => getPropertyValue(element, name),
    setValue: (value) => setProperties(element, { [name]: normalised(value) }, commandStack),
    debounce,
    validate
  });
}

export function PropertySelect(props) {
  const { element, id, name, label, options } = props;
  const commandStack = useService('commandStack');
  const description = label(`${name}.description`);
  return jsx(SelectEntry, {
    element,
    id,
    label: label(name),
    description: description === `${name}.description` ? undefined : description,
    getValue: () => getPropertyValue(element, name),
    setValue: (value) => setProperties(element, { [name]: normalised(value) }, commandStack),
    getOptions: () => withUnknown(options, getPropertyValue(element, name), label)
  });
}

export function PropertyCheckbox(props) {
  const { element, id, name, label, onValue, clears = [] } = props;
  const commandStack = useService('commandStack');
  return jsx(CheckboxEntry, {
    element,
    id,
    label: label(name),
    description: label(`${name}.description`),
    getValue: () => getPropertyValue(element, name) === onValue,
    setValue: (checked) => {
      const values = { [name]: checked ? onValue : '' };
      if (!checked) {
        for (const other of clears) {
          values[other] = '';
        }
      }
      setProperties(element, values, commandStack);
    }
  });
}

function splitList(value) {
  return (value || '').split(',').map((part) => part.trim()).filter(Boolean);
}

/**
 * A comma-separated list: a text field with the raw value (anything may be typed, e.g. clause items like 6.1.3b)
 * and, below it, a checkbox per catalogue option that adds or removes it. With `items`, an option also shows the
 * items of it the list holds (6.1.3 shows 6.1.3a, 6.1.3b).
 */
export function PropertyMultiPick(props) {
  const { element, id, name, label, options, items } = props;
  const commandStack = useService('commandStack');
  const debounce = useService('debounceInput');
  const [ filter, setFilter ] = useState('');

  const current = splitList(getPropertyValue(element, name));
  const write = (values) => setProperties(element, { [name]: values.join(',') }, commandStack);
  const toggle = (value, checked) => {
    const rest = current.filter((other) => other !== value);
    write(checked ? [ ...rest, value ] : rest);
  };

  const needle = filter.trim().toLowerCase();
  const shown = needle
    ? options.filter((option) => `${option.value} ${option.label}`.toLowerCase().includes(needle))
    : options;

  const checkboxes = shown.map((option) => {
    const checked = current.includes(option.value);
    const itemsOf = items
      ? current.filter((value) => value !== option.value && value.startsWith(option.value) && /^[a-z]$/.test(value.slice(option.value.length)))
      : [];
    return jsxs('label', {
      class: 'cf-multi-option' + (checked || itemsOf.length ? ' cf-multi-option-on' : ''),
      children: [
        jsx('input', {
          type: 'checkbox',
          checked,
          onChange: (event) => toggle(option.value, event.target.checked)
        }),
        jsx('span', { class: 'cf-multi-value', children: option.value }),
        option.label && option.label !== option.value ? jsx('span', { class: 'cf-multi-label', children: option.label }) : null,
        itemsOf.length ? jsx('span', { class: 'cf-multi-items', children: label('multi.items', { items: itemsOf.join(', ') }) }) : null
      ]
    }, option.value);
  });

  return jsxs(Fragment, {
    children: [
      jsx(TextFieldEntry, {
        element,
        id,
        label: label(name),
        description: label(`${name}.description`),
        getValue: () => getPropertyValue(element, name),
        setValue: (value) => setProperties(element, { [name]: splitList(value).join(',') }, commandStack),
        debounce
      }),
      options.length ? jsxs('div', {
        class: 'bio-properties-panel-entry cf-multi',
        'data-entry-id': `${id}-options`,
        children: [
          options.length > 8 ? jsx('input', {
            type: 'search',
            class: 'bio-properties-panel-input cf-multi-filter',
            placeholder: label('multi.filter'),
            'aria-label': label('multi.filter'),
            value: filter,
            onInput: (event) => setFilter(event.target.value)
          }) : null,
          jsx('div', { class: 'cf-multi-options', role: 'group', 'aria-label': label(name), children: checkboxes })
        ]
      }) : null
    ]
  });
}

// ---- lanes -----------------------------------------------------------------------------------------------------

export function LaneRole(props) {
  const { element, id, label, catalog } = props;
  const modeling = useService('modeling');
  const options = catalog.roles.map((role) => ({
    value: role.id,
    label: role.name && role.name !== role.id ? `${role.name} (${role.id})` : role.id
  }));
  return jsx(SelectEntry, {
    element,
    id,
    label: label('role'),
    description: label('role.description'),
    getValue: () => getBusinessObject(element).get('name') || '',
    setValue: (value) => modeling.updateProperties(element, { name: blank(value) ? undefined : value }),
    getOptions: () => withUnknown(options, getBusinessObject(element).get('name') || '', label)
  });
}

// ---- scripts and conditions ------------------------------------------------------------------------------------

function sandboxDescription(catalog) {
  return catalog.sandbox ? jsx('div', { class: 'cf-sandbox', children: catalog.sandbox }) : undefined;
}

export function ScriptText(props) {
  const { element, id, label, catalog } = props;
  const commandStack = useService('commandStack');
  const debounce = useService('debounceInput');
  const businessObject = getBusinessObject(element);
  return jsx(TextAreaEntry, {
    element,
    id,
    label: label('script'),
    description: sandboxDescription(catalog),
    getValue: () => businessObject.get('script') || '',
    setValue: (value) => {
      const properties = { script: blank(value) ? undefined : value };
      if (!blank(value) && !businessObject.get('scriptFormat')) {
        properties.scriptFormat = 'python';
      }
      commandStack.execute('element.updateModdleProperties', { element, moddleElement: businessObject, properties });
    },
    debounce,
    rows: 8,
    monospace: true,
    autoResize: true
  });
}

export function ConditionText(props) {
  const { element, id, label, catalog } = props;
  const commandStack = useService('commandStack');
  const bpmnFactory = useService('bpmnFactory');
  const debounce = useService('debounceInput');
  const businessObject = getBusinessObject(element);
  return jsx(TextAreaEntry, {
    element,
    id,
    label: label('condition'),
    description: sandboxDescription(catalog),
    getValue: () => {
      const expression = businessObject.get('conditionExpression');
      return (expression && expression.get('body')) || '';
    },
    setValue: (value) => {
      const expression = businessObject.get('conditionExpression');
      if (blank(value)) {
        if (expression) {
          commandStack.execute('element.updateModdleProperties', {
            element, moddleElement: businessObject, properties: { conditionExpression: undefined }
          });
        }
        return;
      }
      if (expression) {
        commandStack.execute('element.updateModdleProperties', {
          element, moddleElement: expression, properties: { body: value }
        });
        return;
      }
      const created = bpmnFactory.create('bpmn:FormalExpression', { body: value });
      created.$parent = businessObject;
      commandStack.execute('element.updateModdleProperties', {
        element, moddleElement: businessObject, properties: { conditionExpression: created }
      });
    },
    debounce,
    rows: 2,
    monospace: true,
    autoResize: true
  });
}

// ---- service tasks ---------------------------------------------------------------------------------------------

export function getOperator(businessObject) {
  return getExtension(businessObject, OPERATOR);
}

/** The parameter fields of the operator: those its query takes (catalogue), then any other it holds. */
export function queryParameters(operator, catalog) {
  const query = catalog.queries.find((other) => other.name === operator.get('id'));
  const result = query ? query.parameters.map((parameter) => ({ ...parameter, known: true })) : [];
  const list = operator.get('parameterList');
  for (const parameter of (list && list.get('parameters')) || []) {
    const name = parameter.get('id');
    if (name && !result.some((other) => other.name === name)) {
      result.push({ name, type: parameter.get('type'), known: !query });
    }
  }
  return result;
}

function update(element, moddleElement, properties) {
  return { cmd: 'element.updateModdleProperties', context: { element, moddleElement, properties } };
}

export function QuerySelect(props) {
  const { element, id, label, catalog } = props;
  const commandStack = useService('commandStack');
  const bpmnFactory = useService('bpmnFactory');
  const businessObject = getBusinessObject(element);
  const options = catalog.queries.map((query) => ({ value: query.name, label: query.name }));
  const current = () => {
    const operator = getOperator(businessObject);
    return (operator && operator.get('id')) || '';
  };
  const setValue = (value) => {
    const operator = getOperator(businessObject);
    if (blank(value)) {
      if (operator) {
        execute(commandStack, removeExtensionCommands(element, businessObject, operator));
      }
      return;
    }
    if (!operator) {
      const created = bpmnFactory.create(OPERATOR, { id: value });
      const list = bpmnFactory.create(PARAMETERS, { parameters: [] });
      list.$parent = created;
      created.set('parameterList', list);
      execute(commandStack, addExtensionCommands(element, businessObject, created, bpmnFactory));
      return;
    }
    const commands = [ update(element, operator, { id: value }) ];
    const query = catalog.queries.find((other) => other.name === value);
    const list = operator.get('parameterList');
    if (query && list) {
      // the engine refuses parameters the query does not take: keep only the ones it takes
      const names = query.parameters.map((parameter) => parameter.name);
      const kept = (list.get('parameters') || []).filter((parameter) => names.includes(parameter.get('id')));
      if (kept.length !== (list.get('parameters') || []).length) {
        commands.push(update(element, list, { parameters: kept }));
      }
    }
    execute(commandStack, commands);
  };
  return jsx(SelectEntry, {
    element,
    id,
    label: label('query'),
    description: label('query.description'),
    getValue: current,
    setValue,
    getOptions: () => withUnknown(options, current(), label)
  });
}

export function ResultVariable(props) {
  const { element, id, label } = props;
  const commandStack = useService('commandStack');
  const debounce = useService('debounceInput');
  const businessObject = getBusinessObject(element);
  return jsx(TextFieldEntry, {
    element,
    id,
    label: label('resultVariable'),
    getValue: () => {
      const operator = getOperator(businessObject);
      return (operator && operator.get('resultVariable')) || '';
    },
    setValue: (value) => {
      const operator = getOperator(businessObject);
      if (operator) {
        commandStack.execute('element.updateModdleProperties', {
          element, moddleElement: operator, properties: { resultVariable: blank(value) ? undefined : value.trim() }
        });
      }
    },
    debounce
  });
}

export function QueryParameter(props) {
  const { element, id, label, parameter } = props;
  const commandStack = useService('commandStack');
  const bpmnFactory = useService('bpmnFactory');
  const debounce = useService('debounceInput');
  const businessObject = getBusinessObject(element);
  const find = () => {
    const operator = getOperator(businessObject);
    const list = operator && operator.get('parameterList');
    const found = list && (list.get('parameters') || []).find((other) => other.get('id') === parameter.name);
    return { operator, list, found };
  };
  return jsx(TextFieldEntry, {
    element,
    id,
    label: label(parameter.known ? 'parameter' : 'parameter.unknown', { name: parameter.name }),
    description: label('parameter.description'),
    getValue: () => {
      const { found } = find();
      return (found && found.get('value')) || '';
    },
    setValue: (value) => {
      const { operator, list, found } = find();
      if (!operator) {
        return;
      }
      if (blank(value)) {
        // a parameter without a value is no parameter: remove it (deploy names it as missing)
        if (found) {
          execute(commandStack, [ update(element, list, { parameters: list.get('parameters').filter((other) => other !== found) }) ]);
        }
        return;
      }
      if (found) {
        execute(commandStack, [ update(element, found, { value }) ]);
        return;
      }
      const created = bpmnFactory.create(PARAMETER, { id: parameter.name, type: parameter.type || 'any', value });
      if (list) {
        created.$parent = list;
        execute(commandStack, [ update(element, list, { parameters: [ ...(list.get('parameters') || []), created ] }) ]);
      } else {
        const newList = bpmnFactory.create(PARAMETERS, { parameters: [ created ] });
        created.$parent = newList;
        newList.$parent = operator;
        execute(commandStack, [ update(element, operator, { parameterList: newList }) ]);
      }
    },
    debounce
  });
}

// ---- thrown messages -------------------------------------------------------------------------------------------

export function MessagePayload(props) {
  const { element, id, label, eventDefinition } = props;
  const commandStack = useService('commandStack');
  const bpmnFactory = useService('bpmnFactory');
  const debounce = useService('debounceInput');
  return jsx(TextAreaEntry, {
    element,
    id,
    label: label('messagePayload'),
    description: label('messagePayload.description'),
    getValue: () => {
      const payload = getExtension(eventDefinition, PAYLOAD);
      return (payload && payload.get('value')) || '';
    },
    setValue: (value) => {
      const payload = getExtension(eventDefinition, PAYLOAD);
      if (blank(value)) {
        if (payload) {
          execute(commandStack, removeExtensionCommands(element, eventDefinition, payload));
        }
        return;
      }
      if (payload) {
        execute(commandStack, [ update(element, payload, { value }) ]);
        return;
      }
      const created = bpmnFactory.create(PAYLOAD, { value });
      execute(commandStack, addExtensionCommands(element, eventDefinition, created, bpmnFactory));
    },
    debounce,
    rows: 2,
    monospace: true,
    autoResize: true
  });
}

// ---- multi-instance tasks --------------------------------------------------------------------------------------
// SpiffWorkflow reads loopDataInputRef / loopDataOutputRef as the names of process variables; bpmn-moddle holds
// them as references, so a name is held by a stand-in element of that id (see loopData.js).

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

function validateName(label) {
  return (value) => (value && !NAME.test(value.trim()) ? label('name.invalid') : null);
}

export function LoopReference(props) {
  const { element, id, label, property } = props;
  const commandStack = useService('commandStack');
  const moddle = useService('moddle');
  const debounce = useService('debounceInput');
  const loop = () => getBusinessObject(element).get('loopCharacteristics');
  return jsx(TextFieldEntry, {
    element,
    id,
    label: label(property),
    description: label(`${property}.description`),
    getValue: () => {
      const reference = loop().get(property);
      return (reference && reference.get('id')) || '';
    },
    setValue: (value, error) => {
      if (error) {
        return;
      }
      const standIn = blank(value) ? undefined : moddle.create('bpmn:DataInput', { id: value.trim() });
      commandStack.execute('element.updateModdleProperties', {
        element, moddleElement: loop(), properties: { [property]: standIn }
      });
    },
    validate: validateName(label),
    debounce
  });
}

export function LoopItem(props) {
  const { element, id, label, property } = props;
  const commandStack = useService('commandStack');
  const moddle = useService('moddle');
  const debounce = useService('debounceInput');
  const loop = () => getBusinessObject(element).get('loopCharacteristics');
  const current = () => loop().get(property);
  const validate = (value) => {
    if (!value) {
      return null;
    }
    const invalid = validateName(label)(value);
    if (invalid) {
      return invalid;
    }
    const holder = moddle.ids && moddle.ids.assigned(value.trim());
    return holder && holder !== current() ? label('id.taken', { value: value.trim() }) : null;
  };
  return jsx(TextFieldEntry, {
    element,
    id,
    label: label(property),
    description: label(`${property}.description`),
    getValue: () => {
      const item = current();
      return (item && (item.get('id') || item.get('name'))) || '';
    },
    setValue: (value, error) => {
      if (error) {
        return;
      }
      let item;
      if (!blank(value)) {
        const name = value.trim();
        item = moddle.create(property === 'inputDataItem' ? 'bpmn:DataInput' : 'bpmn:DataOutput', { id: name, name });
        item.$parent = loop();
        const previous = current();
        if (moddle.ids && previous && previous.get('id') && moddle.ids.assigned(previous.get('id')) === previous) {
          moddle.ids.unclaim(previous.get('id'));
        }
        if (moddle.ids && !moddle.ids.assigned(name)) {
          moddle.ids.claim(name, item);
        }
      }
      commandStack.execute('element.updateModdleProperties', {
        element, moddleElement: loop(), properties: { [property]: item }
      });
    },
    validate,
    debounce
  });
}
