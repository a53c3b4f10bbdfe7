/** Every link of the site, computed once here so pages agree and the base path is honoured. */
const base = import.meta.env.BASE_URL.replace(/\/?$/, "/");

export const routes = {
  home: () => base,
  experiment: (slug: string) => `${base}experiments/${slug}/`,
  csv: (slug: string) => `${base}experiments/${slug}.csv`,
  environment: () => `${base}environment/`,
};
