// SpiffWorkflow reads <bpmn:loopDataInputRef>name</bpmn:loopDataInputRef> (and loopDataOutputRef) of a
// multi-instance task as the name of a process variable. bpmn-moddle reads both as references to an element of
// that id; none exists, so it would drop them ("unresolved reference") and saving would lose them. After parsing,
// each such unresolved reference gets a stand-in element of that id (it is not part of the diagram and is written
// back as the same reference), and its warning is taken back.

import { is } from 'bpmn-js/lib/util/ModelUtil';

const LOOP_REFERENCES = [ 'bpmn:loopDataInputRef', 'bpmn:loopDataOutputRef' ];

export default class LoopDataReferences {
  constructor(eventBus, moddle) {
    eventBus.on('import.parse.complete', 1500, (event) => {
      const warnings = event.warnings;
      if (!warnings || !event.definitions) {
        return;
      }
      for (let index = warnings.length - 1; index >= 0; index--) {
        const warning = warnings[index];
        if (warning && warning.element && is(warning.element, 'bpmn:MultiInstanceLoopCharacteristics')
          && LOOP_REFERENCES.includes(warning.property) && warning.value) {
          const property = warning.property.split(':')[1];
          warning.element.set(property, moddle.create('bpmn:DataInput', { id: warning.value }));
          warnings.splice(index, 1);
        }
      }
    });
  }
}

LoopDataReferences.$inject = [ 'eventBus', 'moddle' ];
