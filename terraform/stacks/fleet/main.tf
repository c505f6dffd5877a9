# Example root: placement -> cloud modules, one module call and one aliased provider
# per cloud region. `regionplan tfvars PLAN.json --out terraform/stacks/fleet` writes:
#
#   placement.auto.tfvars.json  the contract variables (loaded automatically)
#   providers.tf.json           provider "aws"/"google"/"azurerm" blocks, alias per region
#   fleet.tf.json               module "fleet_<cloud>_<region>" calls passing those providers
#
# Terraform cannot create providers (or pass them) with for_each, hence generated files
# rather than a loop here.

module "placement" {
  source = "../../modules/placement"

  regionplan = var.regionplan
  placements = var.placements
}
