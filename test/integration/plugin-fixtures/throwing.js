// A plugin check whose run() throws: the run must record it as failed, with the reason, and go on.
export default {
  id: 'fixture.throwing',
  category: 'fixture',
  title: 'Throwing plugin',
  needs: [],
  async run() {
    throw new Error('the plugin broke on purpose (password=hunter2)');
  },
};
