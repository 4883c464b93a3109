import { api } from './api.js';
import { fill, h, num, submitting } from './dom.js';

// Operator settings: the priority classes (min/max kW edited in place) and the contract.
// Values go to the API as typed; its validation errors are shown under the form.
export function settingsPanel(root) {
  const pForm = root.querySelector('#priorities-form');
  const pBody = root.querySelector('#priorities tbody');
  const cForm = root.querySelector('#contract-form');
  let classes = [];
  let editing = false; // do not overwrite what the operator is typing

  pForm.addEventListener('input', () => { editing = true; });
  pForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void submitting(pForm, async () => {
      const rows = [...pBody.querySelectorAll('tr')];
      const body = classes.map((c, i) => {
        const row = rows[i];
        const { minKw: _a, maxKw: _b, ...rest } = c;
        const minKw = num(row.querySelector('[name=minKw]').value);
        const maxKw = num(row.querySelector('[name=maxKw]').value);
        return { ...rest, ...(minKw !== undefined ? { minKw } : {}), ...(maxKw !== undefined ? { maxKw } : {}) };
      });
      classes = await api('/v1/priorities', { method: 'PUT', body });
      editing = false;
      render();
    });
  });
  cForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void submitting(cForm, async () => {
      const f = new FormData(cForm);
      const marginKw = num(f.get('marginKw'));
      await api('/v1/site/contract', { method: 'PUT', body: { capKw: num(f.get('capKw')), ...(marginKw !== undefined ? { marginKw } : {}) } });
    });
  });
  const render = () => fill(pBody, classes.map((c, i) => h('tr', {},
    h('td', {}, i + 1), h('td', {}, c.name), h('td', {}, c.kind),
    h('td', {}, h('input', { name: 'minKw', value: c.minKw ?? '', inputmode: 'decimal', 'aria-label': `${c.name} min kW` })),
    h('td', {}, h('input', { name: 'maxKw', value: c.maxKw ?? '', inputmode: 'decimal', 'aria-label': `${c.name} max kW` })))));
  return {
    async update() {
      if (editing) return;
      classes = await api('/v1/priorities');
      render();
    },
    /** The contract form starts from the contract in force (once, so typing is never overwritten). */
    contract(site) {
      const cap = cForm.querySelector('[name=capKw]');
      if (cap.value === '') {
        cap.value = site.contract.capKw;
        cForm.querySelector('[name=marginKw]').value = site.contract.marginKw;
      }
    },
  };
}
