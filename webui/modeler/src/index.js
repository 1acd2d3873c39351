// Entry of the CarbonFlow modeler bundle (scripts/build_modeler.sh builds it into webui/static/vendor/modeler/).
//
//   const modeler = window.CarbonFlowModeler.create({
//     container, propertiesParent, catalog, labels, locale
//   });
//   await modeler.importXML(xml); ... const { xml } = await modeler.saveXML({ format: true });

import Modeler from 'bpmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from 'bpmn-js-properties-panel';

import spiffworkflowDescriptor from './spiffworkflow.json';
import CarbonFlowPropertiesProvider from './CarbonFlowPropertiesProvider';
import CarbonFlowCommands from './commands';
import LoopDataReferences from './loopData';
import { DEFAULT_LABELS, createLabel } from './labels';
import { createTranslateModule } from './translate';

const CarbonFlowModule = {
  __init__: [ 'carbonflowCommands', 'carbonflowLoopData', 'carbonflowPropertiesProvider' ],
  carbonflowCommands: [ 'type', CarbonFlowCommands ],
  carbonflowLoopData: [ 'type', LoopDataReferences ],
  carbonflowPropertiesProvider: [ 'type', CarbonFlowPropertiesProvider ]
};

/**
 * Create a bpmn-js Modeler with the properties panel and the CarbonFlow group.
 *
 * @param {Object} options
 * @param {Element} options.container - where the diagram is drawn
 * @param {Element} options.propertiesParent - where the properties panel is drawn
 * @param {Object} [options.catalog] - {roles: [{id, name}], forms: [{key, title}], clauses: [{number, title}],
 *   queries: [{name, parameters: [name | {name, type}]}], sandbox: "rules of the script sandbox"}
 * @param {Object} [options.labels] - translated strings: the keys of DEFAULT_LABELS, and English built-in strings
 *   of bpmn-js / diagram-js / the properties panel mapped to their translation
 * @param {string} [options.locale] - the page's language (e.g. "zh" or "en"); set as lang of the panel
 * @return {Modeler}
 */
function create(options) {
  const settings = options || {};
  if (!settings.container) {
    throw new Error('CarbonFlowModeler.create: options.container is required');
  }
  const labels = settings.labels || {};
  if (settings.locale && settings.propertiesParent) {
    settings.propertiesParent.setAttribute('lang', settings.locale);
  }
  const modeler = new Modeler({
    container: settings.container,
    propertiesPanel: settings.propertiesParent ? { parent: settings.propertiesParent } : undefined,
    additionalModules: [
      BpmnPropertiesPanelModule,
      BpmnPropertiesProviderModule,
      CarbonFlowModule,
      createTranslateModule(labels)
    ],
    moddleExtensions: {
      spiffworkflow: spiffworkflowDescriptor
    },
    carbonflow: {
      catalog: settings.catalog || {},
      label: createLabel(labels),
      locale: settings.locale || 'en'
    }
  });

  // The properties panel re-renders on import and subscribes to selection changes in an effect that preact runs
  // only after the next frame: a selection made right after importXML resolved would be missed (the panel keeps
  // showing the process). importXML resolves once that frame has passed.
  const importXML = modeler.importXML.bind(modeler);
  modeler.importXML = async function(...args) {
    const result = await importXML(...args);
    await afterNextFrame();
    return result;
  };
  return modeler;
}

function afterNextFrame() {
  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (!done) {
        done = true;
        setTimeout(resolve, 0);
      }
    };
    // a hidden page gets no animation frames: preact then falls back to a 100 ms timeout, so do we
    setTimeout(finish, 120);
    if (typeof requestAnimationFrame === 'function') {
      requestAnimationFrame(finish);
    }
  });
}

const api = {
  create,
  defaultLabels: Object.freeze({ ...DEFAULT_LABELS })
};

if (typeof window !== 'undefined') {
  window.CarbonFlowModeler = api;
}

export default api;
