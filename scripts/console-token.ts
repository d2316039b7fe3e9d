import { createHash, randomBytes } from 'node:crypto';

/**
 * `npm run console-token -- <person>`: a new personal console token. Give the token to the person (it is
 * shown once); put the hash line under the person in the policy file. The console then acts as that
 * person, and no one else, for whoever presents the token.
 */
const person = process.argv[2];
if (!person || !/^[a-z][a-z0-9_-]{0,40}$/.test(person)) {
  console.error('usage: npm run console-token -- <person id from the policy, e.g. alice>');
  process.exit(2);
}
const token = `oc_${randomBytes(24).toString('base64url')}`;
const hash = createHash('sha256').update(token).digest('hex');
console.log(`token for ${person} (give it to them; it is not stored anywhere):\n  ${token}\n`);
console.log(`policy file, under people.${person}:\n  consoleTokenSha256: ${hash}      (a person's console token)\n  mcpTokenSha256: ${hash}          (or: an MCP agent's bearer token, README "MCP")`);
