// Not a valid check: it has no run() function.
export default { id: 'fixture.invalid', category: 'fixture', title: 'Invalid plugin', needs: [] };
