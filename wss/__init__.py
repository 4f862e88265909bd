"""WallStreetSim: an event-sourced AI-agent stock market on NATS JetStream."""
