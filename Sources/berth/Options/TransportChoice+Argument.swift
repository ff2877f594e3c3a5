import ArgumentParser
import BerthManifest

/// `--transport auto|websocket-spdy|spdy|websocket`, spelt as in the manifest.
extension TransportChoice: ExpressibleByArgument {}
