// The secrets the delivery policy names by setting (a smart host's passwordSetting, a DKIM domain's
// privateKeySetting): one Key Vault secret each, written only when a value is given, so a redeploy
// without one keeps the secret already there (a rotated password, say). main.bicep sets each app
// setting to a Key Vault reference to its secret, named by policySecretName (exported below, so the
// two cannot disagree).

@export()
@description('The Key Vault secret that holds the value of app setting `setting`: "policy-" and the name in lower case with "-" for "_" (Key Vault names allow letters, digits and "-"; app setting names are not case-sensitive).')
func policySecretName(setting string) string => 'policy-${toLower(replace(setting, '_', '-'))}'

@description('Key Vault to write the secrets to, in this resource group.')
param keyVaultName string

@description('The setting names, from the policy file (deploy.sh reads them there).')
param settings string[]

@description('The values by setting name (a PEM private key, a password). A name left out or empty keeps the secret already in Key Vault.')
@secure()
param values { *: string }

resource keyVault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: keyVaultName
}

resource secrets 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = [
  for setting in settings: if (!empty(values[?setting] ?? '')) {
    parent: keyVault
    name: policySecretName(setting)
    properties: {
      value: values[setting]
      contentType: 'text/plain'
    }
  }
]
