// Serverless SMTP relay: a Function App on Flex Consumption that reaches storage, Key Vault and
// Application Insights with one user-assigned managed identity. Nothing here creates or reads an
// account key, connection string or publishing password: shared-key access is switched off on the
// storage account and local auth is off on monitoring, so a leaked setting grants nothing.
//
// Every app setting the code reads is listed once in `relaySettings` below; test/infra checks that
// list against SETTINGS in src/config.ts in both directions; the settings the delivery policy names
// for its secrets (policySecretSettings) are added to it, each a Key Vault reference.

targetScope = 'resourceGroup'

import { policySecretName } from 'modules/policySecrets.bicep'

// ---------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------

@description('Short name for this relay, 3 to 11 lower-case letters and digits starting with a letter. Every resource name is derived from it plus a hash of the resource group id, so the same appName in two resource groups does not collide.')
@minLength(3)
@maxLength(11)
param appName string = 'smtprelay'

@description('Azure region for every resource. It must offer the Flex Consumption plan (`az functionapp list-flexconsumption-locations`).')
param location string = resourceGroup().location

@description('Tags added to every resource.')
param tags { *: string } = {}

@description('Most instances the Flex Consumption plan may scale out to: 40 to 1000 (Flex Consumption does not accept a lower maximum, except as a preview in a few regions, which this template does not offer). The limit applies to each function group, so the delivery queue alone may reach it; bound the SMTP connections with smartHostPoolSize and the host.json queue batch settings instead.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory of each instance, in MB (a Flex Consumption instance size).')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Storage redundancy. ZRS keeps queued mail through a zone outage where the region offers zones.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param storageSku string = 'Standard_LRS'

@description('Days a composed message (.eml) is kept in blob storage before a lifecycle rule deletes it. At least 8: a deferred recipient may be retried for up to 7 days and needs its message until then.')
@minValue(8)
@maxValue(3650)
param messageBodyRetentionDays int = 30

@description('Days Log Analytics keeps logs and Application Insights telemetry; one of the retention periods Application Insights accepts.')
@allowed([
  30
  60
  90
  120
  180
  270
  365
  550
  730
])
param logRetentionDays int = 30

@description('Comma-separated domains that may appear in "from" (RELAY_ALLOWED_SENDER_DOMAINS), e.g. "example.com,example.jp".')
@minLength(1)
param allowedSenderDomains string

@description('Smart host name; its TLS certificate must match it (SMARTHOST_HOST), e.g. "smtp.office365.com".')
@minLength(1)
param smartHostHost string

@description('Smart host submission port; STARTTLS is required. Azure blocks outbound port 25.')
@minValue(1)
@maxValue(65535)
param smartHostPort int = 587

@description('SMTP AUTH mechanism: "login" or "plain" use smartHostUsername and the password in Key Vault; "xoauth2" takes a token for the managed identity and needs no password.')
@allowed([
  'login'
  'plain'
  'xoauth2'
])
param smartHostAuth string = 'login'

@description('SMTP AUTH user name (for xoauth2, the mailbox or principal the token is for).')
@minLength(1)
param smartHostUsername string

@description('SMTP AUTH password, stored as a Key Vault secret. Leave empty to keep the secret already in Key Vault (after a rotation, say); deploy.sh refuses an empty one on the first deployment. Ignored for xoauth2.')
@secure()
param smartHostPassword string = ''

@description('Token scope requested for xoauth2 (SMARTHOST_OAUTH_SCOPE).')
param smartHostOAuthScope string = 'https://outlook.office365.com/.default'

@description('Most concurrent SMTP connections per instance (SMARTHOST_POOL_SIZE).')
@minValue(1)
@maxValue(100)
param smartHostPoolSize int = 5

@description('Seconds to connect and get the greeting before the attempt is deferred.')
@minValue(1)
@maxValue(45)
param smartHostConnectTimeoutSeconds int = 30

@description('Seconds without any reply from the smart host before the attempt is deferred.')
@minValue(1)
@maxValue(140)
param smartHostSocketTimeoutSeconds int = 120

@description('Failures in a row after which a smart host is skipped, on every instance, for smartHostCoolOffSeconds (RELAY_SMARTHOST_COOLOFF_FAILURES).')
@minValue(1)
@maxValue(1000)
param smartHostCoolOffFailures int = 3

@description('Seconds a failing smart host is skipped before it is tried again (RELAY_SMARTHOST_COOLOFF_SECONDS).')
@minValue(1)
@maxValue(86400)
param smartHostCoolOffSeconds int = 300

@description('Most recipients (to + cc + bcc) in one message.')
@minValue(1)
@maxValue(100)
param maxRecipients int = 100

@description('Largest accepted request body and composed message, in bytes (at most 50 MiB).')
@minValue(1024)
@maxValue(52428800)
param maxMessageBytes int = 10485760

@description('Seconds a deferred recipient is retried, from when it was queued, before it is failed (at most 7 days).')
@minValue(1)
@maxValue(604800)
param maxRetrySeconds int = 86400

@description('Delay before the first retry of a deferred recipient, in seconds; each later retry doubles it.')
@minValue(1)
@maxValue(86400)
param retryFirstDelaySeconds int = 60

@description('Longest delay between two retries, in seconds; not less than retryFirstDelaySeconds.')
@minValue(1)
@maxValue(518400)
param retryMaxDelaySeconds int = 3600

@description('Days a bounce or complaint keeps an address on the suppression list (RELAY_SUPPRESSION_DAYS); 0 keeps it until an operator removes it. Unsubscribes never expire.')
@minValue(0)
@maxValue(3650)
param suppressionDays int = 30

// Bicep has no decimal type: the four rates are strings, each a number from 0.01 to 100 with at most
// the fractions the app reads; deploy.sh checks them with the app's own loadConfig before deploying.
@description('Hard-bounce rate, in percent (a number from 0.01 to 100, e.g. "5" or "2.5"), of a sender domain above which the relay warns (RELAY_BOUNCE_WARN_PERCENT).')
param bounceWarnPercent string = '5'

@description('Hard-bounce rate, in percent (a number from 0.01 to 100), above which a sender domain is paused until an operator resumes it (RELAY_BOUNCE_PAUSE_PERCENT); not less than bounceWarnPercent.')
param bouncePausePercent string = '10'

@description('Complaint rate, in percent (a number from 0.01 to 100), of a sender domain above which the relay warns (RELAY_COMPLAINT_WARN_PERCENT).')
param complaintWarnPercent string = '0.1'

@description('Complaint rate, in percent (a number from 0.01 to 100), above which a sender domain is paused (RELAY_COMPLAINT_PAUSE_PERCENT); not less than complaintWarnPercent.')
param complaintPausePercent string = '0.5'

@description('Fewest attempts in the breaker window before a rate can pause a sender domain (RELAY_BREAKER_MIN_VOLUME).')
@minValue(1)
@maxValue(1000000)
param breakerMinVolume int = 100

@description('The bounce-rate breaker window, in hours (RELAY_BREAKER_WINDOW_HOURS).')
@minValue(1)
@maxValue(168)
param breakerWindowHours int = 24

@description('Seconds between looks at a recipient held by a policy, such as a paused sender (RELAY_HOLD_RECHECK_SECONDS).')
@minValue(1)
@maxValue(3600)
param holdRecheckSeconds int = 60

@description('Domain of VERP return paths, bounces+<message id>.<recipient tag>@<this domain> (RELAY_BOUNCE_DOMAIN); its mail must reach the DSN endpoint. Empty: the envelope sender is the "from" address.')
param bounceDomain string = ''

@description('SendGrid Event Webhook verification key, base64 DER or PEM (RELAY_SENDGRID_WEBHOOK_PUBLIC_KEY); a public key, not a secret. Empty: the SendGrid event endpoint answers 503.')
param sendgridWebhookPublicKey string = ''

@description('Seconds a signed upstream event may be old (or ahead) before it is refused as a replay (RELAY_EVENT_MAX_AGE_SECONDS).')
@minValue(60)
@maxValue(86400)
param eventMaxAgeSeconds int = 600

@description('HMAC key of the one-click unsubscribe links (RELAY_UNSUBSCRIBE_SECRET), at least 32 characters; several comma-separated keys rotate it (the first signs, all verify). Stored as a Key Vault secret, written only when given: deploy.sh generates one on the first deployment and gives none later, so a redeploy keeps the links already sent working.')
@secure()
param unsubscribeSecret string = ''

@description('Secret the Event Grid subscription for ACS delivery reports sends (RELAY_ACS_EVENTS_SECRET), at least 32 characters. Stored as a Key Vault secret, written only when given: deploy.sh generates one on the first deployment and keeps it after.')
@secure()
param acsEventsSecret string = ''

@description('Key that apps written for SendGrid send with to the SendGrid drop-in endpoint (RELAY_SENDGRID_API_KEY), at least 16 characters. Stored as a Key Vault secret, written only when given: deploy.sh generates one on the first deployment and keeps it after.')
@secure()
param sendgridApiKey string = ''

@description('Base64 access key that apps using @azure/communication-email sign with for the ACS drop-in endpoints (RELAY_ACS_ACCESS_KEY). Stored as a Key Vault secret, written only when given: deploy.sh generates one on the first deployment and keeps it after.')
@secure()
param acsAccessKey string = ''

@description('The delivery policy as JSON (RELAY_POLICY_JSON, see docs/policy.md). Empty: relay-policy.json in the package, or the built-in presets.')
param policyJson string = ''

@description('The app settings the delivery policy names for secrets: each smart host\'s passwordSetting and each DKIM domain\'s privateKeySetting. Each gets a Key Vault secret (modules/policySecrets.bicep) and an app setting that is a Key Vault reference to it. deploy.sh reads them from the policy file.')
param policySecretSettings string[] = []

@description('The values of policySecretSettings by setting name (a PEM private key, a password). A name left out or empty keeps the secret already in Key Vault; deploy.sh refuses a missing one on the first deployment.')
@secure()
param policySecretValues { *: string } = {}

@description('Object id of an operator (user, group or service principal) who gets read access to delivery results and queues (queued messages carry bodies up to ~47 KB inline, so this includes reading those) and may set and read the smart host password in Key Vault. Empty grants nobody; deploy.sh fills in the signed-in user.')
param operatorPrincipalId string = ''

@description('Kind of principal operatorPrincipalId is.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param operatorPrincipalType string = 'User'

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

var suffix = uniqueString(resourceGroup().id)
var functionAppName = '${appName}-${suffix}'
// Storage and Key Vault names are global and short: 24 characters at most.
var storageAccountName = take('${appName}${suffix}', 24)
var keyVaultName = take('${appName}-kv-${suffix}', 24)

// The relay's own storage objects; the app settings below point the code at these same names.
var queueName = 'deliveries'
var poisonQueueName = '${queueName}-poison' // the Functions host moves a message here after maxDequeueCount
var deliveriesTableName = 'deliveries'
var eventsTableName = 'deliveryevents'
var idempotencyTableName = 'idempotency'
var suppressionsTableName = 'suppressions'
var sendersTableName = 'senders'
var shapingTableName = 'shaping'
var suspensionsTableName = 'suspensions'
var messageIndexTableName = 'messageindex'
var bodyContainerName = 'messages'
// Flex Consumption fetches the app package from here; the identity authenticates, not a SAS.
var deploymentContainerName = 'app-package'
var smartHostPasswordSecretName = 'smarthost-password'
var unsubscribeSecretName = 'unsubscribe-secret'
var acsEventsSecretName = 'acs-events-secret'
var sendgridApiKeyName = 'sendgrid-api-key'
var acsAccessKeyName = 'acs-access-key'

var usesPassword = smartHostAuth != 'xoauth2'
var grantOperator = !empty(operatorPrincipalId)

// Built-in role definition ids (the same in every tenant), named because a GUID alone says nothing:
var roles = {
  // Storage Blob Data Owner: what Functions documents for an identity-based AzureWebJobsStorage (host
  // locks, function keys, the Flex deployment package) plus the relay's message bodies.
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  // Storage Queue Data Contributor: the queue trigger reads, deletes and moves messages to -poison.
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  // Storage Table Data Contributor: delivery results, events and idempotency records.
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  // Key Vault Secrets User: read secret values (the Key Vault references of SMARTHOST_PASSWORD,
  // RELAY_UNSUBSCRIBE_SECRET and RELAY_ACS_EVENTS_SECRET).
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  // Monitoring Metrics Publisher: send telemetry to Application Insights with local auth disabled.
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  // Operator only -- Storage Table Data Reader: `az storage entity query --auth-mode login`.
  storageTableDataReader: '76199698-9eea-4c19-bc75-cec21354c6b6'
  // Operator only -- Storage Queue Data Reader: peek at the delivery and poison queues (and so at
  // the message bodies that travel inline in them).
  storageQueueDataReader: '19e7f393-937e-4f77-808e-94535e297925'
  // Operator only -- Key Vault Secrets Officer: set a new smart host password version (rotation);
  // it can read the password too.
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
}

// ---------------------------------------------------------------------------------------------
// Identity
// ---------------------------------------------------------------------------------------------

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: '${appName}-id-${suffix}'
  location: location
  tags: tags
}

// ---------------------------------------------------------------------------------------------
// Storage: identity-only, no keys
// ---------------------------------------------------------------------------------------------

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: storageAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: storageSku
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    // Public endpoint, identity-only: Flex Consumption without a virtual network reaches storage
    // over the public endpoint. Put it behind private endpoints when the app joins a virtual network.
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: false
      services: {
        blob: { enabled: true }
        file: { enabled: true }
        queue: { enabled: true, keyType: 'Account' }
        table: { enabled: true, keyType: 'Account' }
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' = {
  parent: storage
  name: 'default'
}

resource bodyContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = {
  parent: blobService
  name: bodyContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2025-01-01' = {
  parent: storage
  name: 'default'
}

resource deliveryQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2025-01-01' = {
  parent: queueService
  name: queueName
}

resource poisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2025-01-01' = {
  parent: queueService
  name: poisonQueueName
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2025-01-01' = {
  parent: storage
  name: 'default'
}

resource deliveriesTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2025-01-01' = {
  parent: tableService
  name: deliveriesTableName
}

resource eventsTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2025-01-01' = {
  parent: tableService
  name: eventsTableName
}

resource idempotencyTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2025-01-01' = {
  parent: tableService
  name: idempotencyTableName
}

resource suppressionsTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2025-01-01' = {
  parent: tableService
  name: suppressionsTableName
}

resource sendersTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2025-01-01' = {
  parent: tableService
  name: sendersTableName
}

resource shapingTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2025-01-01' = {
  parent: tableService
  name: shapingTableName
}

resource suspensionsTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2025-01-01' = {
  parent: tableService
  name: suspensionsTableName
}

resource messageIndexTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2025-01-01' = {
  parent: tableService
  name: messageIndexTableName
}

// Message bodies hold personal data; keep them only as long as a delivery can still need them.
resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2025-01-01' = {
  parent: storage
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'expire-message-bodies'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              prefixMatch: [
                '${bodyContainerName}/'
              ]
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterModificationGreaterThan: messageBodyRetentionDays
                }
              }
            }
          }
        }
      ]
    }
  }
  dependsOn: [
    bodyContainer
  ]
}

// ---------------------------------------------------------------------------------------------
// Key Vault: the smart host password and the relay's own secrets
// ---------------------------------------------------------------------------------------------

resource keyVault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: keyVaultName
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // Purge protection cannot be turned off again: a deleted vault stays recoverable for 90 days
    // and its name stays taken (see infra/README.md, "Tear down").
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    // Flex Consumption resolves Key Vault references only over the vault's public endpoint;
    // access is still by Entra ID and RBAC only.
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

// Written only when a password is given, so a redeploy without one keeps a rotated secret.
resource smartHostPasswordSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = if (usesPassword && !empty(smartHostPassword)) {
  parent: keyVault
  name: smartHostPasswordSecretName
  properties: {
    value: smartHostPassword
    contentType: 'text/plain'
  }
}

// Like the password, written only when given: a new value on every deploy would break every
// unsubscribe link already sent (and the Event Grid subscription's secret).
resource unsubscribeSecretValue 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = if (!empty(unsubscribeSecret)) {
  parent: keyVault
  name: unsubscribeSecretName
  properties: {
    value: unsubscribeSecret
    contentType: 'text/plain'
  }
}

resource acsEventsSecretValue 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = if (!empty(acsEventsSecret)) {
  parent: keyVault
  name: acsEventsSecretName
  properties: {
    value: acsEventsSecret
    contentType: 'text/plain'
  }
}

resource sendgridApiKeyValue 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = if (!empty(sendgridApiKey)) {
  parent: keyVault
  name: sendgridApiKeyName
  properties: {
    value: sendgridApiKey
    contentType: 'text/plain'
  }
}

resource acsAccessKeyValue 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = if (!empty(acsAccessKey)) {
  parent: keyVault
  name: acsAccessKeyName
  properties: {
    value: acsAccessKey
    contentType: 'text/plain'
  }
}

// The secrets the delivery policy names (smart host passwords, DKIM keys), each written only when given.
module policySecrets 'modules/policySecrets.bicep' = {
  name: 'policy-secrets'
  params: {
    keyVaultName: keyVault.name
    settings: policySecretSettings
    values: policySecretValues
  }
}

// ---------------------------------------------------------------------------------------------
// Monitoring: Entra ID-only ingestion
// ---------------------------------------------------------------------------------------------

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2025-02-01' = {
  name: '${appName}-log-${suffix}'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: logRetentionDays
    features: {
      disableLocalAuth: true
    }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${appName}-appi-${suffix}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    IngestionMode: 'LogAnalytics'
    DisableLocalAuth: true
    RetentionInDays: logRetentionDays
  }
}

// Who read or changed the smart host password, and when.
resource keyVaultAudit 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'audit-to-log-analytics'
  scope: keyVault
  properties: {
    workspaceId: logAnalytics.id
    logs: [
      {
        categoryGroup: 'audit'
        enabled: true
      }
    ]
  }
}

// ---------------------------------------------------------------------------------------------
// Role assignments for the app's identity: each at the narrowest scope that works
// ---------------------------------------------------------------------------------------------

var storageRoles = [
  roles.storageBlobDataOwner
  roles.storageQueueDataContributor
  roles.storageTableDataContributor
]

resource appStorageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in storageRoles: {
    name: guid(storage.id, identity.id, roleId)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: identity.properties.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource appKeyVaultRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(keyVault.id, identity.id, roles.keyVaultSecretsUser)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource appMonitoringRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, identity.id, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// ---------------------------------------------------------------------------------------------
// Role assignments for the operator (optional). What each lets the operator read, plainly:
// - Storage Table Data Reader: every delivery row and event (addresses, subject, status, SMTP
//   replies), not message bodies.
// - Storage Queue Data Reader: peeking at the delivery and poison queues, and a queued task carries
//   the whole message body inline when it is small enough (up to ~47 KB encoded), so this role can
//   read those bodies. Larger bodies stay in blob storage, where the operator has no role.
// - Key Vault Secrets Officer: set a new password version (rotation), and also read the password.
// No narrower built-in role exists for either of the last two; leave operatorPrincipalId empty and
// grant them only when needed if that is too much.
// ---------------------------------------------------------------------------------------------

var operatorStorageRoles = [
  roles.storageTableDataReader
  roles.storageQueueDataReader
]

resource operatorStorageRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in operatorStorageRoles: if (grantOperator) {
    name: guid(storage.id, operatorPrincipalId, roleId)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: operatorPrincipalId
      principalType: operatorPrincipalType
    }
  }
]

resource operatorKeyVaultRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantOperator) {
  name: guid(keyVault.id, operatorPrincipalId, roles.keyVaultSecretsOfficer)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
  }
}

// ---------------------------------------------------------------------------------------------
// Function App on Flex Consumption
// ---------------------------------------------------------------------------------------------

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: '${appName}-plan-${suffix}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true // Linux
  }
}

resource functionApp 'Microsoft.Web/sites@2024-11-01' = {
  name: functionAppName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    publicNetworkAccess: 'Enabled'
    keyVaultReferenceIdentity: identity.id
    // Only what Flex Consumption accepts: it rejects ftpsState (ARM error 51021) and the official Flex
    // samples set neither scmMinTlsVersion nor http20Enabled. FTP is off through the publishing
    // credentials policy below.
    siteConfig: {
      minTlsVersion: '1.2'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }
  dependsOn: [
    deploymentContainer
  ]
}

// Deployments authenticate with Entra ID (az CLI sends a bearer token), so the publishing
// user name and password that FTP and Kudu would otherwise accept are switched off.
resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: functionApp
  name: 'scm'
  properties: {
    allow: false
  }
}

// What the relay code reads (scope 'app' in src/config.ts), each named once.
var relaySettings = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.properties.clientId
  AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
  // Not AZURE_CLIENT_ID: DefaultAzureCredential and the host's other connections would pick that up too.
  RELAY_IDENTITY_CLIENT_ID: identity.properties.clientId
  RELAY_ALLOWED_SENDER_DOMAINS: allowedSenderDomains
  RELAY_MAX_RECIPIENTS: string(maxRecipients)
  RELAY_MAX_MESSAGE_BYTES: string(maxMessageBytes)
  RELAY_MAX_RETRY_SECONDS: string(maxRetrySeconds)
  RELAY_RETRY_FIRST_DELAY_SECONDS: string(retryFirstDelaySeconds)
  RELAY_RETRY_MAX_DELAY_SECONDS: string(retryMaxDelaySeconds)
  RELAY_QUEUE_NAME: deliveryQueue.name
  RELAY_DELIVERIES_TABLE: deliveriesTable.name
  RELAY_EVENTS_TABLE: eventsTable.name
  RELAY_IDEMPOTENCY_TABLE: idempotencyTable.name
  RELAY_BODY_CONTAINER: bodyContainer.name
  RELAY_SUPPRESSIONS_TABLE: suppressionsTable.name
  RELAY_SENDERS_TABLE: sendersTable.name
  RELAY_SHAPING_TABLE: shapingTable.name
  RELAY_SUSPENSIONS_TABLE: suspensionsTable.name
  RELAY_MESSAGE_INDEX_TABLE: messageIndexTable.name
  RELAY_SUPPRESSION_DAYS: string(suppressionDays)
  RELAY_BOUNCE_WARN_PERCENT: bounceWarnPercent
  RELAY_BOUNCE_PAUSE_PERCENT: bouncePausePercent
  RELAY_COMPLAINT_WARN_PERCENT: complaintWarnPercent
  RELAY_COMPLAINT_PAUSE_PERCENT: complaintPausePercent
  RELAY_BREAKER_MIN_VOLUME: string(breakerMinVolume)
  RELAY_BREAKER_WINDOW_HOURS: string(breakerWindowHours)
  RELAY_HOLD_RECHECK_SECONDS: string(holdRecheckSeconds)
  RELAY_BOUNCE_DOMAIN: bounceDomain
  RELAY_SENDGRID_WEBHOOK_PUBLIC_KEY: sendgridWebhookPublicKey
  RELAY_ACS_EVENTS_SECRET: '@Microsoft.KeyVault(VaultName=${keyVault.name};SecretName=${acsEventsSecretName})'
  RELAY_SENDGRID_API_KEY: '@Microsoft.KeyVault(VaultName=${keyVault.name};SecretName=${sendgridApiKeyName})'
  RELAY_ACS_ACCESS_KEY: '@Microsoft.KeyVault(VaultName=${keyVault.name};SecretName=${acsAccessKeyName})'
  RELAY_POLICY_JSON: policyJson
  RELAY_POLICY_FILE: ''
  RELAY_EVENT_MAX_AGE_SECONDS: string(eventMaxAgeSeconds)
  // The unsubscribe links point at the app's own host name.
  RELAY_PUBLIC_URL: 'https://${functionApp.properties.defaultHostName}'
  RELAY_UNSUBSCRIBE_SECRET: '@Microsoft.KeyVault(VaultName=${keyVault.name};SecretName=${unsubscribeSecretName})'
  SMARTHOST_HOST: smartHostHost
  SMARTHOST_PORT: string(smartHostPort)
  SMARTHOST_AUTH: smartHostAuth
  SMARTHOST_USERNAME: smartHostUsername
  // Versionless reference: the platform follows the newest secret version, so a rotation in
  // Key Vault needs no redeploy.
  SMARTHOST_PASSWORD: usesPassword ? '@Microsoft.KeyVault(VaultName=${keyVault.name};SecretName=${smartHostPasswordSecretName})' : ''
  SMARTHOST_OAUTH_SCOPE: smartHostOAuthScope
  SMARTHOST_POOL_SIZE: string(smartHostPoolSize)
  SMARTHOST_CONNECT_TIMEOUT_SECONDS: string(smartHostConnectTimeoutSeconds)
  SMARTHOST_SOCKET_TIMEOUT_SECONDS: string(smartHostSocketTimeoutSeconds)
  RELAY_SMARTHOST_COOLOFF_FAILURES: string(smartHostCoolOffFailures)
  RELAY_SMARTHOST_COOLOFF_SECONDS: string(smartHostCoolOffSeconds)
  // The host's own telemetry and the relay's delivery metrics both go here, as the managed identity
  // (Entra ID ingestion; local auth is off on the component).
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'
}

// The settings the delivery policy names, under the operator's own names: versionless references,
// like SMARTHOST_PASSWORD's, so a new secret version needs no redeploy.
var policySecretReferences = toObject(
  policySecretSettings,
  setting => setting,
  setting => '@Microsoft.KeyVault(VaultName=${keyVault.name};SecretName=${policySecretName(setting)})'
)

// Read by the platform, not by the relay code.
var platformSettings = {
  // With only the service URIs the host can fail to create its blob client at start-up (a race in
  // the host, azure-functions-host #11787); the account name avoids it, as the Verified Module sets it.
  AzureWebJobsStorage__accountName: storage.name
}

resource appSettings 'Microsoft.Web/sites/config@2024-11-01' = {
  parent: functionApp
  name: 'appsettings'
  // The policy's names come first: one that is also the relay's own is refused by deploy.sh, and
  // would lose to the relay's value here.
  properties: union(policySecretReferences, relaySettings, platformSettings)
  // The host starts as soon as its settings land: let it find its permissions already in place.
  dependsOn: [
    appStorageRoles
    appKeyVaultRole
    appMonitoringRole
    smartHostPasswordSecret
    unsubscribeSecretValue
    acsEventsSecretValue
    sendgridApiKeyValue
    acsAccessKeyValue
    policySecrets
    poisonQueue
  ]
}

// ---------------------------------------------------------------------------------------------
// Outputs: names and URLs only; never a key or secret
// ---------------------------------------------------------------------------------------------

@description('Name of the function app (for az functionapp commands).')
output functionAppName string = functionApp.name

@description('URL to POST messages to; send the function key in the x-functions-key header.')
output sendUrl string = 'https://${functionApp.properties.defaultHostName}/api/v1/messages'

@description('Storage account holding queues, delivery results and message bodies.')
output storageAccountName string = storage.name

@description('Table with one row per recipient (PartitionKey = message id).')
output deliveriesTableName string = deliveriesTable.name

@description('Table with one row per delivery outcome (PartitionKey = UTC hour yyyyMMddHH).')
output eventsTableName string = eventsTable.name

@description('Table of remembered Idempotency-Key answers.')
output idempotencyTableName string = idempotencyTable.name

@description('Table of suppressed addresses (PartitionKey = address, RowKey = scope).')
output suppressionsTableName string = suppressionsTable.name

@description('Table of the bounce-rate breaker counts and pauses per sender domain.')
output sendersTableName string = sendersTable.name
output shapingTableName string = shapingTable.name
output suspensionsTableName string = suspensionsTable.name
output messageIndexTableName string = messageIndexTable.name

@description('Queue where deliveries land after repeated failures.')
output poisonQueueName string = poisonQueue.name

@description('Key Vault holding the smart host password, the unsubscribe secret and the ACS events secret.')
output keyVaultName string = keyVault.name
