/**
 * The two files every small test project starts with: dbt_project.yml naming profile `name`, and
 * profiles.yml with one `dev` target on an embedded store (schema `name`); `projectYaml` is appended
 * to dbt_project.yml.
 */
export function chdbProject(name: string, store: string, projectYaml = ''): Record<string, string> {
  return {
    'dbt_project.yml': `name: ${name}\nprofile: ${name}\n${projectYaml}`,
    'profiles.yml': `${name}:\n  target: dev\n  outputs:\n    dev: {type: chdb, path: "${store}", schema: ${name}}\n`,
  };
}
