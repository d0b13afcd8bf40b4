// Package testservers starts the real servers tests run against (dynalite,
// moto's DynamoDB server, redis-server) on free loopback ports, and stops
// them when the test ends. Tests start what they need themselves; `make
// test` installs what is missing.
package testservers
