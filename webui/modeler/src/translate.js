// Translation of the built-in strings of bpmn-js, diagram-js and the properties panel (palette, context pad,
// replace menu, panel groups and entries). They call translate(template, replacements) with the English source
// string as template; the page's `labels` maps such English strings to translations. Anything missing stays
// English.

import { fill } from './labels';

export function createTranslate(labels) {
  const given = labels || {};
  return function translate(template, replacements) {
    const translated = Object.prototype.hasOwnProperty.call(given, template) && typeof given[template] === 'string'
      && given[template] ? given[template] : template;
    return fill(translated, replacements || {});
  };
}

export function createTranslateModule(labels) {
  return {
    translate: [ 'value', createTranslate(labels) ]
  };
}
