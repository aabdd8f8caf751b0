// What the deployed relay looks like, read from the compiled ARM template as evaluated by
// `bicep snapshot` for sample parameters in a fake subscription: the security properties an
// Azure reviewer would check, each of which fails here if the template drifts.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type ArmResource,
  type ArmTemplate,
  type Snapshot,
  appSettingsOf,
  compileTemplate,
  fakeSubscription,
  ofType,
  requiredParams,
  resourcesOf,
  single,
  skipWithoutBicep,
  snapshot,
} from './bicep';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 900_000 };

// Built-in role definition ids, the same in every tenant.
const ROLE = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
  storageTableDataReader: '76199698-9eea-4c19-bc75-cec21354c6b6',
  storageQueueDataReader: '19e7f393-937e-4f77-808e-94535e297925',
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
} as const;

const testPassword = 'Not-a-real-password-7c1e9';
const testUnsubscribeSecret = 'Not-a-real-unsubscribe-secret-of-32-chars-4d2a';
const testAcsSecret = 'Not-a-real-acs-events-secret-of-32-chars-9f0b';
const operatorId = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';

let template: ArmTemplate;
let templateText: string;
/** login auth with a password, an operator group, non-default scale and the longest appName */
let full: Snapshot;
/** login auth, no password given: a redeploy that keeps the secret in Key Vault */
let keep: Snapshot;
/** xoauth2: no password at all, no operator */
let oauth: Snapshot;

type Assignment = { scope: string; role: string; principalId: string; principalType: string };

function roleAssignments(snap: Snapshot): Assignment[] {
  return ofType(snap.predictedResources, 'Microsoft.Authorization/roleAssignments').map((r) => {
    const [scope] = String(r.id).split('/providers/Microsoft.Authorization/roleAssignments/');
    const roleDefinitionId = String(r.properties?.roleDefinitionId);
    assert.match(
      roleDefinitionId,
      new RegExp(`^/subscriptions/${fakeSubscription}/providers/Microsoft\\.Authorization/roleDefinitions/[0-9a-f-]{36}$`),
      'a built-in role definition',
    );
    return {
      scope,
      role: roleDefinitionId.split('/').pop()!,
      principalId: String(r.properties?.principalId),
      principalType: String(r.properties?.principalType),
    };
  });
}

/** the part of a Flex Consumption site's functionAppConfig the checks read */
interface FunctionAppConfig {
  runtime: unknown;
  scaleAndConcurrency: unknown;
  deployment: { storage: { type: string; value: string; authentication: unknown } };
}

/** the part of a storage management policy the checks read */
interface ManagementPolicy {
  rules?: { definition: { filters: { prefixMatch: string[] }; actions: { baseBlob: { delete: { daysAfterModificationGreaterThan: number } } } } }[];
}

const byResource = (snap: Snapshot, type: string): ArmResource => single(snap.predictedResources, type);

/** The Key Vault secrets a snapshot writes, by secret name. */
function secretsOf(snap: Snapshot): Map<string, ArmResource> {
  return new Map(ofType(snap.predictedResources, 'Microsoft.KeyVault/vaults/secrets').map((r) => [r.name.split('/')[1], r]));
}

describe('infra/main.bicep', { ...FILE_TIMEOUT, skip: skipWithoutBicep() }, () => {
  before(async () => {
    const compiled = await compileTemplate();
    template = compiled.template;
    templateText = compiled.text;
    [full, keep, oauth] = await Promise.all([
      snapshot({
        ...requiredParams,
        appName: 'relayprod01',
        smartHostPassword: testPassword,
        unsubscribeSecret: testUnsubscribeSecret,
        acsEventsSecret: testAcsSecret,
        operatorPrincipalId: operatorId,
        operatorPrincipalType: 'Group',
        maximumInstanceCount: 60,
        instanceMemoryMB: 4096,
        messageBodyRetentionDays: 45,
      }),
      snapshot({ ...requiredParams }),
      snapshot({ ...requiredParams, smartHostAuth: 'xoauth2' }),
    ]);
  });

  test('the storage account accepts no shared key, only TLS 1.2+ over HTTPS, and no public blobs', () => {
    for (const snap of [full, keep, oauth]) {
      const p = byResource(snap, 'Microsoft.Storage/storageAccounts').properties!;
      assert.equal(p.allowSharedKeyAccess, false);
      assert.equal(p.minimumTlsVersion, 'TLS1_2');
      assert.equal(p.supportsHttpsTrafficOnly, true);
      assert.equal(p.allowBlobPublicAccess, false);
      assert.equal(p.defaultToOAuthAuthentication, true);
    }
    for (const container of ofType(full.predictedResources, 'Microsoft.Storage/storageAccounts/blobServices/containers')) {
      assert.equal(container.properties?.publicAccess, 'None', container.name);
    }
  });

  test('the host and the app reach storage through the user-assigned identity', () => {
    const identityId = byResource(full, 'Microsoft.ManagedIdentity/userAssignedIdentities').id!;
    const storageId = byResource(full, 'Microsoft.Storage/storageAccounts').id!;
    const s = appSettingsOf(full);
    assert.equal(s.AzureWebJobsStorage__credential, 'managedidentity');
    assert.equal(s.AzureWebJobsStorage__clientId, `[reference('${identityId}', '2024-11-30').clientId]`);
    assert.equal(s.RELAY_IDENTITY_CLIENT_ID, s.AzureWebJobsStorage__clientId, 'the relay code takes tokens as the same identity');
    assert.ok(!('AZURE_CLIENT_ID' in s), 'no AZURE_CLIENT_ID: every other connection of the host would pick it up');
    // The host needs the account name besides the URIs (azure-functions-host #11787).
    assert.equal(s.AzureWebJobsStorage__accountName, byResource(full, 'Microsoft.Storage/storageAccounts').name);
    for (const service of ['blob', 'queue', 'table']) {
      assert.match(
        s[`AzureWebJobsStorage__${service}ServiceUri`],
        new RegExp(`^\\[reference\\('${escape(storageId)}', '[0-9-]+'\\)\\.primaryEndpoints\\.${service}\\]$`),
      );
    }
    assert.ok(!('AzureWebJobsStorage' in s), 'no storage connection string setting');
    assert.ok(!('AzureWebJobsStorage__accountKey' in s));
    assert.ok(!('WEBSITE_CONTENTAZUREFILECONNECTIONSTRING' in s), 'Flex Consumption has no content share');
  });

  test('no connection string, account key or SAS appears anywhere in the template', () => {
    const forbidden: [RegExp, string][] = [
      [/\blist(Keys|AccountSas|ServiceSas|ConnectionStrings)\s*\(/i, 'a list*() call fetches keys or SAS tokens'],
      [/AccountKey\s*=/i, 'a storage account key'],
      [/DefaultEndpointsProtocol\s*=/i, 'a storage connection string'],
      [/SharedAccessSignature\s*=/i, 'a SAS connection string'],
      [/[?&]sig=/i, 'a SAS token'],
      [/WEBSITE_CONTENTAZUREFILECONNECTIONSTRING/, 'an Azure Files connection string'],
    ];
    for (const [pattern, what] of forbidden) {
      assert.doesNotMatch(templateText, pattern, `the compiled template contains ${what}`);
      assert.doesNotMatch(full.text, pattern, `the evaluated template contains ${what}`);
    }
    // Application Insights' connection string is an endpoint plus a public ingestion id, useless
    // without an Entra ID token once local auth is off; it is the only "connection string" allowed.
    const withConnectionString = Object.keys(appSettingsOf(full)).filter((k) => /CONNECTION_?STRING/i.test(k));
    assert.deepEqual(withConnectionString, ['APPLICATIONINSIGHTS_CONNECTION_STRING']);
  });

  test('the app identity holds exactly the documented roles, each on its own resource', () => {
    const identityId = byResource(full, 'Microsoft.ManagedIdentity/userAssignedIdentities').id!;
    const storageId = byResource(full, 'Microsoft.Storage/storageAccounts').id!;
    const vaultId = byResource(full, 'Microsoft.KeyVault/vaults').id!;
    const insightsId = byResource(full, 'Microsoft.Insights/components').id!;
    const app = roleAssignments(full).filter((a) => a.principalId === `[reference('${identityId}', '2024-11-30').principalId]`);
    const actual = app.map((a) => `${a.role} @ ${a.scope} (${a.principalType})`).sort();
    const expected = [
      `${ROLE.storageBlobDataOwner} @ ${storageId} (ServicePrincipal)`,
      `${ROLE.storageQueueDataContributor} @ ${storageId} (ServicePrincipal)`,
      `${ROLE.storageTableDataContributor} @ ${storageId} (ServicePrincipal)`,
      `${ROLE.keyVaultSecretsUser} @ ${vaultId} (ServicePrincipal)`,
      `${ROLE.monitoringMetricsPublisher} @ ${insightsId} (ServicePrincipal)`,
    ].sort();
    assert.deepEqual(actual, expected);
  });

  test('no role is assigned at subscription or resource-group scope', () => {
    for (const snap of [full, keep, oauth]) {
      for (const a of roleAssignments(snap)) {
        assert.match(a.scope, /\/providers\/Microsoft\.[A-Za-z]+\/[^/]+\/[^/]+/, `${a.role} is assigned at ${a.scope}`);
      }
    }
  });

  test('the operator gets table and queue read plus Key Vault Secrets Officer, only when named', () => {
    const storageId = byResource(full, 'Microsoft.Storage/storageAccounts').id!;
    const vaultId = byResource(full, 'Microsoft.KeyVault/vaults').id!;
    const operator = roleAssignments(full).filter((a) => a.principalId === operatorId);
    assert.deepEqual(
      operator.map((a) => `${a.role} @ ${a.scope} (${a.principalType})`).sort(),
      [
        `${ROLE.storageTableDataReader} @ ${storageId} (Group)`,
        `${ROLE.storageQueueDataReader} @ ${storageId} (Group)`,
        `${ROLE.keyVaultSecretsOfficer} @ ${vaultId} (Group)`,
      ].sort(),
    );
    for (const snap of [keep, oauth]) {
      assert.equal(roleAssignments(snap).length, 5, 'without operatorPrincipalId only the app identity gets roles');
    }
  });

  test('the smart host password lives in an RBAC Key Vault and reaches the app as a Key Vault reference', () => {
    const identityId = byResource(full, 'Microsoft.ManagedIdentity/userAssignedIdentities').id!;
    const vault = byResource(full, 'Microsoft.KeyVault/vaults');
    assert.equal(vault.properties?.enableRbacAuthorization, true);
    assert.equal(vault.properties?.enablePurgeProtection, true);
    assert.equal(vault.properties?.enableSoftDelete, true);

    const secret = secretsOf(full).get('smarthost-password')!;
    const [vaultName, secretName] = secret.name.split('/');
    assert.equal(vaultName, vault.name);
    assert.equal(secret.properties?.value, "[parameters('smartHostPassword')]");
    assert.equal(template.parameters.smartHostPassword.type, 'securestring');
    assert.equal(template.parameters.smartHostPassword.defaultValue, '', 'a secure parameter has no real default');

    const s = appSettingsOf(full);
    assert.equal(s.SMARTHOST_PASSWORD, `@Microsoft.KeyVault(VaultName=${vault.name};SecretName=${secretName})`);
    const site = byResource(full, 'Microsoft.Web/sites');
    assert.equal(site.properties?.keyVaultReferenceIdentity, identityId, 'resolved through the user-assigned identity');
    assert.equal(site.identity?.type, 'UserAssigned');
    assert.deepEqual(Object.keys(site.identity?.userAssignedIdentities ?? {}), [identityId]);
  });

  test('a redeploy without a password leaves the stored one alone; xoauth2 stores none', () => {
    // Written only when a password is given: an empty one must never overwrite a rotated secret.
    const secretInTemplate = resourcesOf(template).filter(
      (r) => r.type === 'Microsoft.KeyVault/vaults/secrets' && /smartHostPassword/.test(String(r.condition)),
    );
    assert.equal(secretInTemplate.length, 1);
    assert.match(String(secretInTemplate[0].condition), /not\(empty\(parameters\('smartHostPassword'\)\)\)/);
    assert.deepEqual(ofType(keep.predictedResources, 'Microsoft.KeyVault/vaults/secrets'), []);
    assert.match(appSettingsOf(keep).SMARTHOST_PASSWORD, /^@Microsoft\.KeyVault\(VaultName=[^;]+;SecretName=[^)]+\)$/, 'the app still reads the stored secret');

    assert.deepEqual(ofType(oauth.predictedResources, 'Microsoft.KeyVault/vaults/secrets'), []);
    assert.equal(appSettingsOf(oauth).SMARTHOST_PASSWORD, '');
    assert.equal(appSettingsOf(oauth).SMARTHOST_AUTH, 'xoauth2');
  });

  test('the unsubscribe and ACS events secrets are Key Vault references, written only when given', () => {
    const vault = byResource(full, 'Microsoft.KeyVault/vaults');
    const written = secretsOf(full);
    for (const [setting, name, param, value] of [
      ['RELAY_UNSUBSCRIBE_SECRET', 'unsubscribe-secret', 'unsubscribeSecret', testUnsubscribeSecret],
      ['RELAY_ACS_EVENTS_SECRET', 'acs-events-secret', 'acsEventsSecret', testAcsSecret],
    ] as const) {
      assert.equal(template.parameters[param]?.type, 'securestring', param);
      assert.equal(template.parameters[param]?.defaultValue, '', `${param}: no default, so a redeploy writes nothing`);
      assert.equal(written.get(name)?.properties?.value, `[parameters('${param}')]`, `${name} is written from ${param}`);
      const inTemplate = resourcesOf(template).filter(
        (r) => r.type === 'Microsoft.KeyVault/vaults/secrets' && String(r.condition).includes(`parameters('${param}')`),
      );
      assert.equal(inTemplate.length, 1, param);
      assert.match(String(inTemplate[0].condition), new RegExp(`not\\(empty\\(parameters\\('${param}'\\)\\)\\)`));
      for (const snap of [full, keep])
        assert.equal(appSettingsOf(snap)[setting], `@Microsoft.KeyVault(VaultName=${byResource(snap, 'Microsoft.KeyVault/vaults').name};SecretName=${name})`);
      assert.ok(!full.text.includes(value), `the evaluated template never shows ${param}`);
    }
    assert.ok(vault.name);
    assert.deepEqual([...secretsOf(keep).keys()], [], 'a redeploy without them writes no secret: the links already sent keep working');
  });

  test("the unsubscribe links use the app's own host name", () => {
    assert.match(appSettingsOf(full).RELAY_PUBLIC_URL, /^\[format\('https:\/\/\{0\}', reference\(.*\)\.defaultHostName\)\]$/);
  });

  test('outputs carry names and URLs only, never a secret or key', () => {
    assert.deepEqual(Object.keys(template.outputs).sort(), [
      'deliveriesTableName',
      'eventsTableName',
      'functionAppName',
      'idempotencyTableName',
      'keyVaultName',
      'messageIndexTableName',
      'poisonQueueName',
      'sendUrl',
      'sendersTableName',
      'shapingTableName',
      'storageAccountName',
      'suppressionsTableName',
      'suspensionsTableName',
    ]);
    for (const [name, output] of Object.entries(template.outputs)) {
      assert.equal(output.type, 'string', `${name} is a plain string`);
      assert.doesNotMatch(JSON.stringify(output.value), /smartHostPassword|list[A-Z]\w*\(|secrets|ConnectionString|InstrumentationKey/i, name);
    }
    assert.ok(!full.text.includes(testPassword), 'the evaluated template never shows the password');
    assert.equal(full.outputs.functionAppName, byResource(full, 'Microsoft.Web/sites').name);
    assert.match(String(full.outputs.sendUrl), /^\[format\('https:\/\/\{0\}\/api\/v1\/messages', reference\(.*\)\.defaultHostName\)\]$/);
    assert.equal(full.outputs.deliveriesTableName, 'deliveries');
    assert.equal(full.outputs.eventsTableName, 'deliveryevents');
  });

  test('the app runs on Flex Consumption (FC1, Linux) with Node.js 22 and pulls its package by identity', () => {
    const identityId = byResource(full, 'Microsoft.ManagedIdentity/userAssignedIdentities').id!;
    const storageId = byResource(full, 'Microsoft.Storage/storageAccounts').id!;
    const plan = byResource(full, 'Microsoft.Web/serverfarms');
    assert.deepEqual(plan.sku, { tier: 'FlexConsumption', name: 'FC1' });
    assert.equal(plan.properties?.reserved, true, 'Linux');

    const site = byResource(full, 'Microsoft.Web/sites');
    assert.equal(site.kind, 'functionapp,linux');
    assert.equal(site.properties?.serverFarmId, plan.id);
    const fac = site.properties?.functionAppConfig as FunctionAppConfig;
    assert.deepEqual(fac.runtime, { name: 'node', version: '22' });
    assert.deepEqual(fac.scaleAndConcurrency, { maximumInstanceCount: 60, instanceMemoryMB: 4096 });

    const deployment = fac.deployment.storage;
    assert.equal(deployment.type, 'blobContainer');
    assert.deepEqual(deployment.authentication, { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identityId });
    const container = /primaryEndpoints\.blob, '([a-z0-9-]+)'\)\]$/.exec(deployment.value)?.[1];
    assert.ok(deployment.value.includes(`reference('${storageId}'`), 'the package container is in the relay storage account');
    assert.ok(
      ofType(full.predictedResources, 'Microsoft.Storage/storageAccounts/blobServices/containers').some((c) => c.name.endsWith(`/default/${container}`)),
      `the deployment container ${container} is created`,
    );
  });

  test('the site accepts HTTPS only, TLS 1.2+, and no FTP or basic publishing credentials', () => {
    const site = byResource(full, 'Microsoft.Web/sites');
    assert.equal(site.properties?.httpsOnly, true);
    // Flex Consumption rejects ftpsState (ARM error 51021); the Flex samples set no other siteConfig.
    assert.deepEqual(site.properties?.siteConfig, { minTlsVersion: '1.2' });
    const policies = ofType(full.predictedResources, 'Microsoft.Web/sites/basicPublishingCredentialsPolicies');
    assert.deepEqual(policies.map((p) => `${p.name.split('/')[1]}=${String(p.properties?.allow)}`).sort(), ['ftp=false', 'scm=false']);
  });

  test('telemetry goes to Application Insights on Log Analytics with local auth off, as the identity', () => {
    const identityId = byResource(full, 'Microsoft.ManagedIdentity/userAssignedIdentities').id!;
    const workspace = byResource(full, 'Microsoft.OperationalInsights/workspaces');
    const insights = byResource(full, 'Microsoft.Insights/components');
    assert.equal((workspace.properties?.features as { disableLocalAuth?: boolean } | undefined)?.disableLocalAuth, true);
    assert.equal(insights.properties?.DisableLocalAuth, true);
    assert.equal(insights.properties?.WorkspaceResourceId, workspace.id);
    const s = appSettingsOf(full);
    assert.equal(s.APPLICATIONINSIGHTS_AUTHENTICATION_STRING, `[format('ClientId={0};Authorization=AAD', reference('${identityId}', '2024-11-30').clientId)]`);
    assert.match(s.APPLICATIONINSIGHTS_CONNECTION_STRING, new RegExp(`^\\[reference\\('${escape(insights.id!)}', '[0-9-]+'\\)\\.ConnectionString\\]$`));
    const audit = byResource(full, 'Microsoft.Insights/diagnosticSettings');
    assert.ok(audit.id!.startsWith(byResource(full, 'Microsoft.KeyVault/vaults').id!), 'Key Vault access is audited');
    assert.equal(audit.properties?.workspaceId, workspace.id);
  });

  test('parameters accept only what Flex Consumption and Application Insights accept', () => {
    const p = template.parameters as Record<string, { defaultValue?: unknown; minValue?: number; maxValue?: number; allowedValues?: unknown[] }>;
    assert.deepEqual(
      [p.maximumInstanceCount.minValue, p.maximumInstanceCount.maxValue, p.maximumInstanceCount.defaultValue],
      [40, 1000, 40],
      'the lowest maximum Flex Consumption takes is 40, the highest 1000',
    );
    assert.deepEqual(p.logRetentionDays.allowedValues, [30, 60, 90, 120, 180, 270, 365, 550, 730], 'the retention periods Application Insights accepts');
    assert.equal(p.logRetentionDays.defaultValue, 30);
    assert.deepEqual(p.instanceMemoryMB.allowedValues, [512, 2048, 4096]);
  });

  test('the queues, poison queue, tables and container the app is pointed at are created', () => {
    const s = appSettingsOf(full);
    const account = byResource(full, 'Microsoft.Storage/storageAccounts').name;
    const names = (type: string) =>
      ofType(full.predictedResources, type)
        .map((r) => r.name)
        .sort();
    assert.deepEqual(
      names('Microsoft.Storage/storageAccounts/queueServices/queues'),
      [`${account}/default/${s.RELAY_QUEUE_NAME}`, `${account}/default/${s.RELAY_QUEUE_NAME}-poison`].sort(),
    );
    assert.deepEqual(
      names('Microsoft.Storage/storageAccounts/tableServices/tables'),
      [
        `${account}/default/${s.RELAY_DELIVERIES_TABLE}`,
        `${account}/default/${s.RELAY_EVENTS_TABLE}`,
        `${account}/default/${s.RELAY_IDEMPOTENCY_TABLE}`,
        `${account}/default/${s.RELAY_SUPPRESSIONS_TABLE}`,
        `${account}/default/${s.RELAY_SENDERS_TABLE}`,
        `${account}/default/${s.RELAY_SHAPING_TABLE}`,
        `${account}/default/${s.RELAY_SUSPENSIONS_TABLE}`,
        `${account}/default/${s.RELAY_MESSAGE_INDEX_TABLE}`,
      ].sort(),
    );
    assert.ok(names('Microsoft.Storage/storageAccounts/blobServices/containers').includes(`${account}/default/${s.RELAY_BODY_CONTAINER}`));
  });

  test('message bodies expire after messageBodyRetentionDays', () => {
    const s = appSettingsOf(full);
    const policy = byResource(full, 'Microsoft.Storage/storageAccounts/managementPolicies');
    const [rule] = (policy.properties?.policy as ManagementPolicy | undefined)?.rules ?? [];
    assert.deepEqual(rule.definition.filters.prefixMatch, [`${s.RELAY_BODY_CONTAINER}/`]);
    assert.equal(rule.definition.actions.baseBlob.delete.daysAfterModificationGreaterThan, 45);
    assert.ok(
      template.parameters.messageBodyRetentionDays && Number(template.parameters.messageBodyRetentionDays.minValue) >= 8,
      'bodies outlive the longest retry window (7 days)',
    );
  });

  test('names derive from appName and a hash of the resource group, within Azure length limits', () => {
    const site = byResource(full, 'Microsoft.Web/sites').name;
    const storage = byResource(full, 'Microsoft.Storage/storageAccounts').name;
    const vault = byResource(full, 'Microsoft.KeyVault/vaults').name;
    assert.match(site, /^relayprod01-[a-z0-9]{13}$/);
    assert.match(storage, /^relayprod01[a-z0-9]{3,13}$/);
    assert.ok(storage.length <= 24 && vault.length <= 24, `${storage} / ${vault}`);
    assert.match(vault, /^relayprod01-kv-[a-z0-9]+$/);
    const other = byResource(keep, 'Microsoft.Web/sites').name;
    assert.equal(other.slice(-13), site.slice(-13), 'the same resource group gives the same suffix');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
