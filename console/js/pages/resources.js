// "Recursos y demanda" (analysts): the page of console/js/pages/observatory.js for GET /v1/observatory/resources.

export { renderResources as render } from './observatory.js';
