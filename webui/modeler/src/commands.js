// Command handlers of the CarbonFlow panel. Commands executed in preExecute are recorded as part of this command,
// so undo/redo takes them back (and replays them) as one step.

import { setPropertyCommands } from './extensions';

class UpdatePropertiesHandler {
  constructor(commandStack, bpmnFactory) {
    this._commandStack = commandStack;
    this._bpmnFactory = bpmnFactory;
  }

  preExecute(context) {
    const { element, values } = context;
    for (const name of Object.keys(values)) {
      for (const { cmd, context: cmdContext } of setPropertyCommands(element, name, values[name], this._bpmnFactory)) {
        this._commandStack.execute(cmd, cmdContext);
      }
    }
  }

  execute() {
    return [];
  }

  revert() {
    return [];
  }
}

UpdatePropertiesHandler.$inject = [ 'commandStack', 'bpmnFactory' ];

// Run a list of {cmd, context} built against the model as each previous one left it: `build` is called again
// after each batch it returns, until it returns no commands (used where one change touches nested elements).
class SequenceHandler {
  constructor(commandStack) {
    this._commandStack = commandStack;
  }

  preExecute(context) {
    for (const build of context.steps) {
      for (const { cmd, context: cmdContext } of build()) {
        this._commandStack.execute(cmd, cmdContext);
      }
    }
  }

  execute() {
    return [];
  }

  revert() {
    return [];
  }
}

SequenceHandler.$inject = [ 'commandStack' ];

export default class CarbonFlowCommands {
  constructor(commandStack) {
    commandStack.registerHandler('carbonflow.updateProperties', UpdatePropertiesHandler);
    commandStack.registerHandler('carbonflow.sequence', SequenceHandler);
  }
}

CarbonFlowCommands.$inject = [ 'commandStack' ];
