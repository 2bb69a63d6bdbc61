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
 */
(function () {
  'use strict';

  var CONTAINERS = { group: true, dynamiclist: true };

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
    return form.importSchema(payload.schema, payload.data || {}).then(function () {
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
