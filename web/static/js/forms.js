/* Mesa de Ayuda: mounts the bpmn.io form-js viewer on every [data-form-viewer] element.
 *
 * The schema, the values and the server's errors come from a <script type="application/json"> element (the
 * Content-Security-Policy forbids inline scripts). On submit the form-js data travels as JSON in the hidden
 * field "datos" of the page's own POST form (with its CSRF field); the server validates it again.
 *
 * Server errors are shown on the fields through the form's state: form-js has no public call to set errors,
 * so this uses Form#_getState/_setState, the same calls its own Form#validate makes (form-js-viewer 1.x keeps
 * errors per field *id*, one level deeper per repeat index). If those calls ever disappear the error list
 * above the form, rendered by the server, still says what to fix.
 *
 * form-js 1.x writes its own messages in English and has no translation hook (bpmn-io/form-js#443): the
 * validator's messages are translated as it returns them (worded as the server words the same rule), and the
 * few English words it renders (the empty select, the search box, the empty option list) as they appear.
 */
(function () {
  'use strict';

  var CONTAINERS = { group: true, dynamiclist: true };

  /* form-js's validator messages -> the server's wording of the same rule (engine/forms_values.py). */
  var MESSAGES = [
    [/^Field is required\.$/, function () { return 'Este campo es obligatorio.'; }],
    [/^Value is not a number\.$/, function () { return 'Debe ser un número.'; }],
    [/^Value is expected to be an integer\.$/, function () { return 'Debe ser un número entero.'; }],
    [/^Value is expected to have at most (\d+) decimal digits?\.$/, function (m) {
      return 'Debe tener como máximo ' + m[1] + (m[1] === '1' ? ' decimal.' : ' decimales.');
    }],
    [/^Please select a valid value, the two nearest valid values are (.+) and (.+)\.$/, function (m) {
      return 'Elija un valor válido; los dos más cercanos son ' + m[1] + ' y ' + m[2] + '.';
    }],
    [/^Field must match pattern /, function () { return 'No tiene el formato requerido.'; }],
    [/^Field must have minimum value of (.+)\.$/, function (m) { return 'Debe ser mayor o igual que ' + m[1] + '.'; }],
    [/^Field must have maximum value of (.+)\.$/, function (m) { return 'Debe ser menor o igual que ' + m[1] + '.'; }],
    [/^Field must have minimum length of (\d+)\.$/, function (m) { return 'Debe tener al menos ' + chars(m[1]) + '.'; }],
    [/^Field must have maximum length of (\d+)\.$/, function (m) {
      return 'Debe tener como máximo ' + chars(m[1]) + '.';
    }],
    [/^Field must be a valid +international phone number/, function () {
      return 'Debe ser un número de teléfono internacional válido (por ejemplo, +576013815000).';
    }],
    [/^Field must be a valid email\.$/, function () { return 'Debe ser un correo electrónico válido.'; }]
  ];
  /* English words form-js renders, by the element that shows them. */
  var WORDS = {
    '.fjs-select-display': { Select: 'Seleccione…' },
    '.fjs-dropdownlist-empty': { 'No results': 'Sin resultados', 'All values selected': 'Todas las opciones elegidas' }
  };
  var PLACEHOLDERS = { Search: 'Buscar' };

  function chars(count) {
    return count === '1' ? '1 carácter' : count + ' caracteres';
  }

  function spanish(message) {
    for (var i = 0; i < MESSAGES.length; i += 1) {
      var match = MESSAGES[i][0].exec(message);
      if (match) {
        return MESSAGES[i][1](match);
      }
    }
    return message;  // a form's own patternErrorMessage, or a rule added by a newer form-js: shown as written
  }

  /* Wrap the validator's two entry points (Form#validate and field edits use one or the other). */
  function translateValidator(form) {
    var validator = form.get('validator');
    ['validateField', 'validateFieldInstance'].forEach(function (name) {
      var original = validator[name];
      if (typeof original === 'function') {
        validator[name] = function () {
          return original.apply(validator, arguments).map(spanish);
        };
      }
    });
  }

  function translateWords(root) {
    Object.keys(WORDS).forEach(function (selector) {
      root.querySelectorAll(selector).forEach(function (element) {
        // Change the text node itself: Preact keeps a reference to it and writes the next value there.
        var node = element.firstChild;
        if (element.childNodes.length === 1 && node.nodeType === Node.TEXT_NODE &&
            Object.prototype.hasOwnProperty.call(WORDS[selector], node.data)) {
          node.data = WORDS[selector][node.data];
        }
      });
    });
    root.querySelectorAll('input[placeholder]').forEach(function (input) {
      var text = input.getAttribute('placeholder');
      if (Object.prototype.hasOwnProperty.call(PLACEHOLDERS, text)) {
        input.setAttribute('placeholder', PLACEHOLDERS[text]);
      }
    });
  }

  /* form-js re-renders (Preact) when a dropdown opens or a value changes: translate again after each change. */
  function keepSpanish(container) {
    translateWords(container);
    new MutationObserver(function () { translateWords(container); })
      .observe(container, { childList: true, subtree: true, characterData: true });
  }

  /* Data key as the engine reports it ("asunto", "grupo.campo", "lista.campo") -> form-js field id. */
  function fieldIds(components, prefix, ids) {
    (components || []).forEach(function (component) {
      if (CONTAINERS[component.type]) {
        fieldIds(component.components, component.path ? prefix + component.path + '.' : prefix, ids);
      } else if (component.key) {
        ids[prefix + component.key] = component.id;
      }
    });
    return ids;
  }

  /* {"lista[0].campo": [...]} -> {"Field_x": {"0": [...]}}: the shape form-js reads with get(errors, [id, index]). */
  function toFieldErrors(serverErrors, ids) {
    var result = {};
    Object.keys(serverErrors || {}).forEach(function (key) {
      var indexes = [];
      var path = key.replace(/\[(\d+)\]/g, function (match, index) {
        indexes.push(index);
        return '';
      });
      var id = ids[path];
      if (!id) {
        return; /* not a field of this form: only the list above the form shows it */
      }
      var steps = [id].concat(indexes);
      var target = result;
      for (var i = 0; i < steps.length - 1; i++) {
        target = target[steps[i]] = target[steps[i]] || {};
      }
      target[steps[steps.length - 1]] = serverErrors[key];
    });
    return result;
  }

  /* Keep each server error on its field until the person edits that field. form-js re-validates fields that
     have a value right after import (which would drop an error only the server can find), so errors missing
     from the state are put back after every change, once the change has been delivered to every listener. */
  function keepServerErrors(form, fieldErrors) {
    var pending = Object.assign({}, fieldErrors);
    if (typeof form._setState !== 'function' || !Object.keys(pending).length) {
      return;
    }
    function restore() {
      var errors = form._getState().errors || {};
      var missing = Object.keys(pending).filter(function (id) { return !errors[id]; });
      if (missing.length) {
        var next = Object.assign({}, errors);
        missing.forEach(function (id) { next[id] = pending[id]; });
        form._setState({ errors: next });
      }
    }
    form.on('field.updated', function (event) {
      var instance = event.fieldInstance || event.field || {};
      delete pending[instance.id];
    });
    form.on('changed', function () { Promise.resolve().then(restore); });
    restore();
  }

  function focusFirstError(container) {
    window.setTimeout(function () {
      var field = container.querySelector('.fjs-has-errors input, .fjs-has-errors textarea, .fjs-has-errors select');
      if (field) {
        field.focus();
      }
    }, 0);
  }

  function wireSubmit(form, container, submitForm) {
    var fromPage = false;
    submitForm.hidden = false;
    /* Enter inside the form-js form submits the page's form, like any HTML form. */
    form.on('submit', function () {
      if (!fromPage) {
        submitForm.querySelector('[type="submit"]').click();
      }
    });
    submitForm.addEventListener('submit', function (event) {
      var result;
      fromPage = true;
      try {
        result = form.submit();
      } finally {
        fromPage = false;
      }
      if (Object.keys(result.errors || {}).length) {
        event.preventDefault();
        focusFirstError(container);
        return;
      }
      submitForm.elements.datos.value = JSON.stringify(result.data || {});
      submitForm.querySelector('[type="submit"]').disabled = true;
    });
  }

  /* The start form's per-desk options (engine/services/cases/lookups.py BY_DESK_KEY): the chosen help desk's
     catalogue and channels. form-js reads option lists only when a form is imported, so a change of desk imports
     the form again with what was typed so far; a value the new desk does not offer is cleared. */
  var BY_DESK = 'opciones_por_mesa';
  var DESK_FIELD = 'mesa';

  function deskKeys(byDesk) {
    var keys = {};
    Object.keys(byDesk).forEach(function (desk) {
      Object.keys(byDesk[desk]).forEach(function (key) { keys[key] = true; });
    });
    return Object.keys(keys);
  }

  function withDeskOptions(schema, data, values) {
    var options = data[BY_DESK][values[DESK_FIELD]] || {};
    var next = Object.assign({}, data, values);
    if (!values[DESK_FIELD]) {
      return next;  /* no desk yet: the server's lists (every channel, no application) and their defaults */
    }
    deskKeys(data[BY_DESK]).forEach(function (valuesKey) {
      var offered = options[valuesKey] || [];
      next[valuesKey] = offered;
      (schema.components || []).forEach(function (component) {
        var kept = offered.some(function (option) { return option.value === next[component.key]; });
        if (component.valuesKey === valuesKey && !kept) {
          delete next[component.key];
        }
      });
    });
    return next;
  }

  /* data-form-desk says whose options the form shows once they are in (tests wait for it). */
  function followDesk(form, container, schema, data) {
    if (!data[BY_DESK]) {
      return Promise.resolve();
    }
    var desk = data[DESK_FIELD];
    function showDesk(values) {
      container.removeAttribute('data-form-desk');
      return form.importSchema(schema, withDeskOptions(schema, data, values)).then(function () {
        container.setAttribute('data-form-desk', values[DESK_FIELD] || '');
      });
    }
    form.on('changed', function (event) {
      var values = event.data || {};
      if (values[DESK_FIELD] !== desk) {
        desk = values[DESK_FIELD];
        Promise.resolve().then(function () { return showDesk(values); });
      }
    });
    return showDesk(data);
  }

  function fail(container, error) {
    var message = document.getElementById(container.getAttribute('data-form-failed'));
    if (message) {
      message.hidden = false;
    }
    if (window.console) {
      window.console.error('No se pudo mostrar el formulario', error);
    }
  }

  function mount(container) {
    var payload = JSON.parse(document.getElementById(container.getAttribute('data-form-data')).textContent);
    var submitForm = document.getElementById(container.getAttribute('data-submit-form'));
    var form = new window.FormViewer.Form({ container: container });
    translateValidator(form);
    return form.importSchema(payload.schema, payload.data || {}).then(function () {
      return followDesk(form, container, payload.schema, payload.data || {});
    }).then(function () {
      keepSpanish(container);
      if (payload.readOnly) {
        form.setProperty('readOnly', true);
      }
      keepServerErrors(form, toFieldErrors(payload.errors, fieldIds(payload.schema.components, '', {})));
      if (submitForm && !payload.readOnly) {
        wireSubmit(form, container, submitForm);
      }
      container.setAttribute('data-form-ready', 'true');
    });
  }

  function start() {
    var summary = document.querySelector('[data-error-summary]');
    document.querySelectorAll('[data-form-viewer]').forEach(function (container) {
      try {
        if (!window.FormViewer) {
          throw new Error('form-js no está disponible');
        }
        mount(container).catch(function (error) { fail(container, error); });
      } catch (error) {
        fail(container, error);
      }
    });
    if (summary) {
      summary.focus();
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
