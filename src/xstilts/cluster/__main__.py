from xstilts.cluster.submit import main

main()
