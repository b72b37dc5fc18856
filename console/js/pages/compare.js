// "Comparar fuentes" (analysts): the page of console/js/pages/observatory.js for GET /v1/observatory/compare.

export { renderCompare as render } from './observatory.js';
