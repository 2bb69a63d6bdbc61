/* Mesa de Ayuda: shows a case's process diagram with the bpmn-js viewer (global BpmnJS).
 *
 * The BPMN and the path taken come from the JSON endpoint named in data-diagram-url (same origin, so the
 * Content-Security-Policy's connect-src 'self' allows it). Completed elements get the marker "case-completed",
 * the ones the case waits on "case-active"; cases.css styles both.
 */
(function () {
  'use strict';

  function mark(viewer, ids, marker) {
    var canvas = viewer.get('canvas');
    var registry = viewer.get('elementRegistry');
    (ids || []).forEach(function (id) {
      if (registry.get(id)) {
        canvas.addMarker(id, marker);
      }
    });
  }

  function fail(container) {
    var message = document.getElementById(container.getAttribute('data-diagram-failed'));
    if (message) {
      message.hidden = false;
    }
    container.hidden = true;
  }

  function show(container) {
    var url = container.getAttribute('data-diagram-url');
    return window.fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error('HTTP ' + response.status);
        }
        return response.json();
      })
      .then(function (diagram) {
        var viewer = new window.BpmnJS({ container: container });
        return viewer.importXML(diagram.xml).then(function () {
          mark(viewer, diagram.completed, 'case-completed');
          mark(viewer, diagram.active, 'case-active');
          viewer.get('canvas').zoom('fit-viewport');
          container.setAttribute('data-diagram-ready', 'true');
        });
      });
  }

  function start() {
    document.querySelectorAll('[data-diagram-url]').forEach(function (container) {
      if (!window.BpmnJS || !window.fetch) {
        fail(container);
        return;
      }
      show(container).catch(function (error) {
        fail(container);
        if (window.console) {
          window.console.error('No se pudo mostrar el diagrama', error);
        }
      });
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
