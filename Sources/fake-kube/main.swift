print("fake-kube")
