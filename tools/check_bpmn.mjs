#!/usr/bin/env node
// Parse BPMN files exactly as bpmn-js / Camunda Modeler do (bpmn-moddle + camunda-bpmn-moddle)
// and fail on anything the parser reports: unknown elements or attributes, unresolved references,
// malformed XML.
//
// Usage: node tools/check_bpmn.mjs bpmn/*.bpmn

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

import { BpmnModdle } from 'bpmn-moddle';

const require = createRequire(import.meta.url);
const camundaModdle = require('camunda-bpmn-moddle/resources/camunda.json');

function describe(warning) {
  const parts = [ warning.message ];
  const element = warning.element;

  if (element && element.id) {
    parts.push(`element <${element.id}>`);
  }

  if (warning.property) {
    parts.push(`property <${warning.property}>`);
  }

  return parts.join(', ');
}

async function check(path) {
  const moddle = new BpmnModdle({ camunda: camundaModdle });

  let xml;

  try {
    xml = await readFile(path, 'utf8');
  } catch (error) {
    return [ `cannot read file: ${error.message}` ];
  }

  try {
    const { rootElement, warnings } = await moddle.fromXML(xml, 'bpmn:Definitions');
    const problems = warnings.map(describe);

    if (!rootElement) {
      problems.push('no <bpmn:definitions> root element');
    }

    return problems;
  } catch (error) {
    const problems = [ `parse error: ${error.message}` ];

    for (const warning of error.warnings || []) {
      problems.push(describe(warning));
    }

    return problems;
  }
}

const paths = process.argv.slice(2);

if (!paths.length) {
  console.error('usage: node tools/check_bpmn.mjs FILE.bpmn [FILE.bpmn ...]');
  process.exit(2);
}

let failed = 0;

for (const path of paths) {
  const problems = await check(path);

  if (problems.length) {
    failed++;
    console.log(`FAIL ${path}: ${problems.length} problem(s)`);

    for (const problem of problems) {
      console.log(`  - ${problem.replace(/\n\s*/g, '\n    ')}`);
    }
  } else {
    console.log(`OK   ${path}`);
  }
}

process.exit(failed ? 1 : 0);
