print("seqtwins")
