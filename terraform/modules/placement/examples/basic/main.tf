# Two placements written inline, in the shape `regionplan tfvars` generates.
# Runs offline: terraform init -backend=false && terraform plan

module "placement" {
  source = "../.."

  regionplan = {
    schema_version             = 1
    regionplan_version         = "0.1.0"
    scenario_name              = "example"
    scenario_sha256            = "0000000000000000000000000000000000000000000000000000000000000000"
    status                     = "optimal"
    accounting                 = "location"
    horizon_start_utc          = "2027-01-04T00:00:00Z"
    horizon_hours              = 168
    carbon_price_usd_per_tco2e = 100
    water_price_usd_per_m3     = 2
    cost_usd                   = 41832
    usd_per_hour               = 249
    carbon_tco2e               = 4.1
    water_m3                   = 20.5
    energy_mwh                 = 10.3
    gpu_hours                  = 9744
    compute_usd                = 20916
    deployed_cost_usd          = 20916
  }

  placements = {
    "aws/us-east-1/llm-finetune" = {
      workload              = "llm-finetune"
      kind                  = "training"
      cloud                 = "aws"
      region                = "us-east-1"
      gpu_model             = "H100"
      instance_type         = "p5.48xlarge"
      gpus_per_instance     = 8
      instance_count        = 8
      gpus                  = 64
      peak_gpus             = 64
      usd_per_hour          = 240
      cost_usd              = 40320
      carbon_tco2e          = 4.032
      water_m3              = 20.16
      energy_mwh            = 10.08
      gpu_hours             = 8064
      purchase              = "spot"
      usd_per_instance_hour = 30
      schedule_kind         = "dated"
      scaling_actions       = 2
      instance_hours        = 672
      deployed_cost_usd     = 20160
      # A time-shifted job: 8 instances for 84 h, then none.
      steps = [
        { start_utc = "2027-01-04T00:00:00Z", hours = 84, instances = 8 },
        { start_utc = "2027-01-07T12:00:00Z", hours = 0, instances = 0 },
      ]
      recurrences = []
    }
    "gcp/us-east4/chat-api" = {
      workload              = "chat-api"
      kind                  = "inference"
      cloud                 = "gcp"
      region                = "us-east4"
      gpu_model             = "L4"
      instance_type         = "g2-standard-4"
      gpus_per_instance     = 1
      instance_count        = 10
      gpus                  = 10
      peak_gpus             = 9.2
      usd_per_hour          = 9
      cost_usd              = 1512
      carbon_tco2e          = 0.0672
      water_m3              = 0.336
      energy_mwh            = 0.168
      gpu_hours             = 1680
      purchase              = "spot"
      usd_per_instance_hour = 0.9
      schedule_kind         = "dated"
      scaling_actions       = 2
      instance_hours        = 840
      deployed_cost_usd     = 756
      # A time-shifted job: 10 instances for 84 h, then none.
      steps = [
        { start_utc = "2027-01-04T00:00:00Z", hours = 84, instances = 10 },
        { start_utc = "2027-01-07T12:00:00Z", hours = 0, instances = 0 },
      ]
      recurrences = []
    }
  }
}

output "regions_by_cloud" {
  description = "Map cloud => regions."
  value       = module.placement.regions_by_cloud
}

output "fleets" {
  description = "Map \"<cloud>/<region>\" => fleet (pools for the cloud modules)."
  value       = module.placement.fleets
}
